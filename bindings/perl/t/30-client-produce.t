use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my @errors;

# The SYNOPSIS producer, as documented.
my $kafka = EV::Kafka->new(
    brokers  => "$host:$port",
    acks     => -1,
    on_error => sub { push @errors, "@_" },
);
isa_ok($kafka, 'EV::Kafka::Client');

my $conn = connected_conn();
my $topic = create_topic($conn, 3);

my ($meta) = wait_for(sub { my $done = shift; $kafka->connect(sub { $done->(@_) }) });
ok(scalar @{ $meta->{brokers} }, 'connect passes the metadata');

my ($result, $err) = wait_for(sub { $kafka->produce($topic, 'key', 'value', shift) });
ok(!$err, 'produce without error') or diag $err;
my $off = $result->{topics}[0]{partitions}[0]{base_offset};
ok(defined $off && $off >= 0, "produced at offset $off");
is($result->{topics}[0]{topic}, $topic, 'result names the topic');
is($result->{topics}[0]{partitions}[0]{error_code}, 0, 'error_code 0');
cmp_ok(abs($result->{topics}[0]{partitions}[0]{timestamp} - time * 1000), '<', 60_000, 'the record\'s timestamp');
is($result->{topics}[0]{partitions}[0]{log_append_time}, -1, 'log_append_time -1 on a CreateTime topic');

# On a LogAppendTime topic the result carries the broker's time, as
# Kafka's produce response does; a timestamp of 0 is kept on Conn produce.
{
    my $appended = unique('appendtime');
    my ($res, $cerr) = wait_for(sub {
        $conn->create_topics([{ name => $appended, num_partitions => 1, replication_factor => 1,
            config => { 'message.timestamp.type' => 'LogAppendTime' } }], 10000, shift);
    });
    ok(!$cerr && !$res->{topics}[0]{error_code}, 'a LogAppendTime topic') or diag explain $res;
    my ($r) = wait_for(sub { $kafka->produce($appended, 'k', 'v', shift) });
    my $p = $r->{topics}[0]{partitions}[0];
    cmp_ok(abs($p->{log_append_time} - time * 1000), '<', 60_000, 'log_append_time is the broker\'s time');
    is($p->{timestamp}, $p->{log_append_time}, 'and the record\'s timestamp is that time');
}

# headers and an explicit partition
($result) = wait_for(sub {
    $kafka->produce($topic, 'k2', 'v2', { headers => { h1 => 'v1' }, partition => 2 }, shift);
});
is($result->{topics}[0]{partitions}[0]{partition}, 2, 'explicit partition');
my ($f) = wait_for(sub { $conn->fetch($topic, 2, 0, shift) });
my ($rec) = grep { ($_->{key} // '') eq 'k2' } @{ $f->{topics}[0]{partitions}[0]{records} };
is_deeply($rec->{headers}, { h1 => 'v1' }, 'headers stored');

# same key, same partition as the Java client (murmur2)
my %part;
wait_for(sub {
    my $done = shift;
    my $left = 20;
    for my $i (1 .. 20) {
        $kafka->produce($topic, "user-" . ($i % 4), "m$i", sub {
            my ($r) = @_;
            $part{ "user-" . ($i % 4) }{ $r->{topics}[0]{partitions}[0]{partition} } = 1;
            $done->() if --$left == 0;
        });
    }
});
for my $key (sort keys %part) {
    is_deeply([keys %{ $part{$key} }], [EV::Kafka::_murmur2($key) % 3], "$key lands on murmur2 % 3");
}

# produce_many with one completion
my ($many_err) = wait_for(sub {
    my $done = shift;
    $kafka->produce_many([[$topic, 'k1', 'v1'], { topic => $topic, key => 'k3', value => 'v3' }],
        sub { $done->(@_) });
});
ok(!defined $many_err, 'produce_many: no errors');

# fire-and-forget, then flush
$kafka->produce($topic, 'ff', 'fire-and-forget') for 1 .. 50;
my $flushed = wait_for(sub { my $done = shift; $kafka->flush(sub { $done->(1) }) });
ok($flushed, 'flush calls back after every delivery');

# custom partitioner
my $custom = EV::Kafka->new(brokers => "$host:$port", acks => 1,
    partitioner => sub { my ($t, $key, $n) = @_; return $n - 1 });
wait_for(sub { my $d = shift; $custom->connect(sub { $d->() }) });
($result) = wait_for(sub { $custom->produce($topic, 'x', 'y', shift) });
is($result->{topics}[0]{partitions}[0]{partition}, 2, 'custom partitioner chose the last partition');
wait_for(sub { my $d = shift; $custom->close(sub { $d->() }) });

# close
my $closed = wait_for(sub { my $done = shift; $kafka->close(sub { $done->(1) }) });
ok($closed, 'close calls back');
eval { $kafka->produce($topic, 'k', 'v') };
like($@, qr/closed/, 'produce after close croaks');

# bad options
eval { EV::Kafka->new(brokers => "$host:$port", acks => 5) };
like($@, qr/acks/, 'a bad acks value names the option');
# an option EV::Kafka does not know is ignored, as the XS module does, with
# a warning that names it at the caller's line
{
    my @warnings;
    local $SIG{__WARN__} = sub { push @warnings, "@_" };
    my $line = __LINE__ + 1;
    my $k = eval { EV::Kafka->new(brokers => "$host:$port", bogus => 1, timeout => 5) };
    ok($k, 'unknown options do not croak') or diag $@;
    is(scalar @warnings, 2, 'one warning per unknown option');
    like($warnings[0], qr/^EV::Kafka: unknown option 'bogus' ignored at \Q$0\E line $line\.$/,
        'the warning names the option and the caller\'s line');
    like($warnings[1], qr/unknown option 'timeout' ignored/, 'each option');
    @warnings = ();
    $k = EV::Kafka::Client->new(brokers => "$host:$port", acks => 1);
    is(scalar @warnings, 0, 'known options do not warn');
}

# A produce the library refuses at once (too large, an invalid topic name)
# reaches the callback from the loop as (undef, $error): produce does not
# croak, and produce_many sends the other messages and lists the failures.
{
    my $small = EV::Kafka->new(brokers => "$host:$port", acks => 1, message_max_bytes => 1000,
        on_error => sub { push @errors, "@_" });
    wait_for(sub { my $d = shift; $small->connect(sub { $d->() }) });
    for my $case (['too large', [$topic, 'k', 'x' x 2000], qr/^MESSAGE_TOO_LARGE: /],
                  ['an invalid topic name', ['no/such topic', 'k', 'v'], qr/^INVALID_TOPIC_EXCEPTION: /],
                  ['an invalid topic name, explicit partition', ['a/b', 'k', 'v', { partition => 0 }],
                   qr/^INVALID_TOPIC_EXCEPTION: /]) {
        my ($what, $args, $want) = @$case;
        my ($returned, $inside, $croaked);
        my ($res, $err) = wait_for(sub {
            my $done = shift;
            $croaked = !eval { $small->produce(@$args, sub { $inside = !$returned; $done->(@_) }); 1 };
            $returned = 1;
            $done->('croaked', $@) if $croaked;
        }, 10);
        ok(!$croaked, "$what: produce does not croak") or diag $err;
        ok(!$inside, "$what: the callback runs from the loop, not inside produce");
        ok(!defined $res, "$what: no result");
        like($err, $want, "$what: the error names the cause");
    }
    ok(eval { $small->produce($topic, 'k', 'x' x 2000); 1 }, 'a refused produce without a callback does not croak either')
        or diag $@;

    my ($before) = wait_for(sub { $conn->list_offsets($topic, 0, -1, shift) });
    my $start = $before->{topics}[0]{partitions}[0]{offset};
    my ($errs) = wait_for(sub {
        my $done = shift;
        $small->produce_many([
            [$topic, 'm1', 'first', { partition => 0 }],
            [$topic, 'm2', 'x' x 2000, { partition => 0 }],
            ['bad/topic', 'm3', 'v'],
            { topic => $topic, key => 'm4', value => 'last', partition => 0 },
        ], sub { $done->(@_) });
    });
    is(scalar @{ $errs // [] }, 2, 'produce_many lists the two refused messages') or diag explain $errs;
    like(join("\n", @{ $errs // [] }), qr/message_max_bytes.*\n.*invalid topic/s, 'each with its reason');
    my ($f) = wait_for(sub { $conn->fetch($topic, 0, $start, shift) });
    is_deeply([map { [$_->{key}, $_->{value}] } @{ $f->{topics}[0]{partitions}[0]{records} }],
        [['m1', 'first'], ['m4', 'last']], 'and the other messages were stored');
    wait_for(sub { $small->close(shift) });
}

# A failed connect (every bootstrap broker refusing, a TLS or SASL
# failure) fires on_error once and never connect's callback. Closing the
# client afterwards completes after every event of the connect.
sub failed_connect {
    my (%opt) = @_;
    my (@errs, $connected, $first);
    my $kafka = EV::Kafka->new(%opt, on_error => sub { push @errs, "@_"; $first->() if $first && @errs == 1 });
    wait_for(sub { $first = shift; $kafka->connect(sub { $connected = 1; $first->() }) });
    wait_for(sub { $kafka->close(shift) });
    return ($connected, @errs);
}
my @cases = (['every bootstrap broker down', qr/no broker reachable/, brokers => '127.0.0.1:1']);
push @cases, ['a TLS failure', qr/tls|certificate|x509/i, brokers => $ENV{KFK_TEST_TLS_BROKERS}, tls => 1]
    if $ENV{KFK_TEST_TLS_BROKERS};
push @cases, ['a SASL failure', qr/sasl|auth/i, brokers => $ENV{KFK_TEST_SASL_BROKERS},
    sasl => { mechanism => 'PLAIN', username => $ENV{KFK_TEST_PLAIN_USER} // 'user', password => 'wrong-secret' }]
    if $ENV{KFK_TEST_SASL_BROKERS};
for my $case (@cases) {
    my ($what, $why, %opt) = @$case;
    my ($connected, @errs) = failed_connect(%opt);
    ok(!$connected, "$what: connect's callback does not run");
    is(scalar @errs, 1, "$what: on_error fires once") or diag explain \@errs;
    like($errs[0] // '', $why, "$what: and says why");
}

is(EV::Kafka::Client::error_name(3), 'UNKNOWN_TOPIC_OR_PARTITION', 'error_name');
done_testing;
