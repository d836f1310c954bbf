use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my @messages;
my $kafka = EV::Kafka->new(
    brokers    => "$host:$port",
    acks       => 1,
    on_error   => sub { diag "kafka: @_" },
    on_message => sub { push @messages, [@_] },
);
my $conn = connected_conn();
my $topic = create_topic($conn, 2);
wait_for(sub { my $d = shift; $kafka->connect(sub { $d->() }) });

wait_for(sub {
    my $done = shift;
    $kafka->produce_many([map { [$topic, "k$_", "v$_"] } 1 .. 20], $done);
});
$kafka->produce($topic, 'hk', 'hv', { headers => { a => 'b' }, partition => 0 });
wait_for(sub { my $d = shift; $kafka->flush(sub { $d->() }) });

# offsets_for: {partition => {earliest, latest}}
my ($offs) = wait_for(sub { $kafka->offsets_for($topic, shift) });
is(scalar keys %$offs, 2, 'offsets_for lists both partitions');
my $total = 0;
$total += $offs->{$_}{latest} - $offs->{$_}{earliest} for keys %$offs;
is($total, 21, 'earliest/latest span every record');

# assign + poll: on_message gets (topic, partition, offset, key, value, headers)
$kafka->assign([{ topic => $topic, partition => 0, offset => 0 }, { topic => $topic, partition => 1, offset => 0 }]);
for (1 .. 50) {
    last if @messages >= 21;
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is(scalar @messages, 21, 'every message delivered to on_message');
my ($h) = grep { $_->[3] eq 'hk' } @messages;
is_deeply([@{$h}[0, 1, 4]], [$topic, 0, 'hv'], 'topic, partition, value');
is_deeply($h->[5], { a => 'b' }, 'headers');
my %seen = map { $_->[3] => 1 } @messages;
ok(!grep({ !$seen{"k$_"} } 1 .. 20), 'all keys seen');

# lag: {"topic:partition" => {current, latest, lag}}
my ($lag) = wait_for(sub { $kafka->lag(shift) });
is($lag->{"$topic:0"}{lag}, 0, 'no lag on partition 0');
is($lag->{"$topic:0"}{latest}, $offs->{0}{latest}, 'latest matches offsets_for');

# seek to the earliest offset: partition 0 again
@messages = ();
wait_for(sub { my $d = shift; $kafka->seek($topic, 0, -2, sub { $d->() }) });
# The first poll after a completed seek reads from the new position (a fetch
# from the old one may still be waiting at the broker).
wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
my ($first) = grep { $_->[1] == 0 } @messages;
is($first && $first->[2], 0, 'the first poll after seek -2 delivers partition 0 from offset 0');
for (1 .. 50) {
    last if @messages >= $offs->{0}{latest};
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is(scalar(grep { $_->[1] == 0 } @messages), $offs->{0}{latest}, 'partition 0 read again after seek -2');

# pause: partition 0 hands nothing over while partition 1 flows; resume
# goes on where it stopped
$kafka->pause([{ topic => $topic, partition => 0 }]);
@messages = ();
$kafka->produce($topic, 'p0', 'late0', { partition => 0 });
$kafka->produce($topic, 'p1', 'late1', { partition => 1 });
wait_for(sub { my $d = shift; $kafka->flush(sub { $d->() }) });
for (1 .. 50) {
    last if grep { $_->[1] == 1 } @messages;
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is_deeply([map { $_->[4] } @messages], ['late1'], 'only partition 1 flows while partition 0 is paused');
$kafka->resume([{ topic => $topic, partition => 0 }]);
for (1 .. 50) {
    last if grep { $_->[1] == 0 } @messages;
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is_deeply([map { [$_->[1], $_->[2], $_->[4]] } grep { $_->[1] == 0 } @messages], [[0, $offs->{0}{latest}, 'late0']],
    'partition 0 goes on after resume');
eval { $kafka->pause([{ topic => $topic, partition => 7 }]) };
like($@, qr/^pause: a partition is not assigned/, 'pausing a partition not assigned croaks');

# the QUICK START script runs unchanged
my $out = `KAFKA_BROKER=$host:$port KAFKA_TOPIC=@{[unique('quickstart')]} timeout 60 $^X @{[map { "-I$_" } @INC]} $FindBin::Bin/../../../examples/perl/quick_start.pl 2>&1`;
like($out, qr/produced\ngot: k1=hello/, 'QUICK START produces and consumes');

done_testing;
