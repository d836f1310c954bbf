# kfk's logs and statistics through EV::Kafka: on_log and on_stats, the
# warn fallback, and bad values of the options.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $topic = create_topic(connected_conn(), 2);

my (@lines, @stats);
my $kafka = EV::Kafka->new(
    brokers                => "$host:$port",
    client_id              => 'perl-observe',
    debug                  => 'broker',
    statistics_interval_ms => 100,
    on_log                 => sub { push @lines, [@_] },
    on_stats               => sub { push @stats, $_[0] },
);
wait_for(sub { my $done = shift; $kafka->connect(sub { $done->() }) });
wait_for(sub { my $done = shift; my $left = 10;
    $kafka->produce($topic, undef, 'ten bytes!', sub { $done->() unless --$left }) for 1 .. 10 });
wait_for(sub { my $done = shift; my $t; $t = EV::timer(0, 0.05, sub {
    if (@stats && $stats[-1]{msgs_produced} == 10) { undef $t; $done->() } }) });

my $doc = $stats[-1];
is($doc->{client_id}, 'perl-observe', 'statistics name the client');
is($doc->{msgs_produced}, 10, 'and count the records produced');
is($doc->{bytes_produced}, 100, 'and their bytes');
ok((grep { $_->{requests} > 0 } values %{ $doc->{brokers} }), 'brokers carry request counts');
my ($connected) = grep { $_->[2] =~ /^connected to / } @lines;
ok($connected, 'the broker trace says when it connected');
is_deeply([@{$connected}[0, 1]], ['debug', 'broker'], 'as a debug line of the broker context');
wait_for(sub { $kafka->close(shift) });

# Without on_log, explicitly asked-for lines go to warn.
my @warned;
{
    local $SIG{__WARN__} = sub { push @warned, $_[0] };
    my $plain = EV::Kafka->new(brokers => "$host:$port", debug => 'metadata');
    wait_for(sub { my $done = shift; $plain->connect(sub { $done->() }) });
    wait_for(sub { $plain->close(shift) });
}
ok((grep { /^EV::Kafka debug: metadata: metadata from / } @warned), 'debug lines go to warn without on_log')
    or diag explain \@warned;

# The metrics example prints a live summary from the statistics, one for
# each report (every second) after the first: 6 s leave a loaded machine
# room for two reports.
my $out = `KAFKA_BROKER=$host:$port KAFKA_TOPIC=@{[unique('metrics')]} SECONDS=6 timeout 60 $^X @{[map { "-I$_" } @INC]} $FindBin::Bin/../../../examples/perl/metrics.pl 2>&1`;
is($?, 0, 'examples/perl/metrics.pl exits 0') or diag $out;
like($out, qr/^produced +\d+ msg\/s +consumed +\d+ msg\/s +lag +\d+/m, 'and prints a summary line');

eval { EV::Kafka->new(brokers => "$host:$port", log_level => 'loud') };
like($@, qr/log_level/, 'a bad log_level croaks naming it');
eval { EV::Kafka->new(brokers => "$host:$port", debug => 'cgrp') };
like($@, qr/cgrp/, 'an unknown debug context croaks naming it');

done_testing;
