use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my (@messages, @errors);
my $kafka = EV::Kafka->new(
    brokers    => "$host:$port",
    acks       => 1,
    on_error   => sub { push @errors, "@_" },
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
my $parts = [{ topic => $topic, partition => 0, offset => 0 }, { topic => $topic, partition => 1, offset => 0 }];
$kafka->assign($parts);
for (1 .. 50) {
    last if @messages >= 21;
    wait_for(sub { my $d = shift; $kafka->poll(sub { $d->() }) });
}
is(scalar @messages, 21, 'every message delivered to on_message');
# assign's array is the live assignment, as with EV::Kafka: poll moves each
# hash's offset to its partition's position
is_deeply([map { $_->{offset} } @$parts], [$offs->{0}{latest}, $offs->{1}{latest}],
    'poll keeps the offsets of assign\'s hashes at the positions');
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
is($parts->[0]{offset}, 0, 'seek -2 sets the hash\'s offset to the earliest offset before its callback');
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
is($parts->[0]{offset}, $offs->{0}{latest}, 'and its hash is at the end again');
my @seeked = wait_for(sub { my $d = shift; $kafka->seek($topic, 0, 3, sub { $d->('seeked', @_) }) });
is_deeply(\@seeked, ['seeked'], 'seek calls back with nothing');
is($parts->[0]{offset}, 3, 'seek 3: offset 3');
($lag) = wait_for(sub { $kafka->lag(shift) });
is($lag->{"$topic:0"}{current}, 3, 'where lag says the partition is');
wait_for(sub { my $d = shift; $kafka->seek($topic, 0, -1, sub { $d->() }) });
is($parts->[0]{offset}, $offs->{0}{latest}, 'seek -1: the latest offset');
is($parts->[1]{offset}, $offs->{1}{latest}, 'the other partition\'s hash is left alone');

# Without on_message the positions move on too.
{
    my $bare = EV::Kafka->new(brokers => "$host:$port", on_error => sub { push @errors, "@_" });
    my $mine = [{ topic => $topic, partition => 1, offset => 0 }];
    $bare->assign($mine);
    for (1 .. 50) {
        last if $mine->[0]{offset} == $offs->{1}{latest};
        wait_for(sub { my $d = shift; $bare->poll(sub { $d->() }) });
    }
    is($mine->[0]{offset}, $offs->{1}{latest}, 'a client without on_message keeps its hashes current too');
    wait_for(sub { $bare->close(shift) });
}

# Request-level errors reach the callback as ($result, $error), as EV::Kafka
# documents, not on_error.
{
    my ($res, $err) = wait_for(sub { $kafka->offsets_for(unique('no-such-topic'), shift) });
    is_deeply($res, {}, 'offsets_for of an unknown topic: {}');
    like($err, qr/UNKNOWN_TOPIC_OR_PARTITION/, 'and the error');
    # a client of its own: seek puts the missing partition 7 in its assignment
    my $other = EV::Kafka->new(brokers => "$host:$port", on_error => sub { push @errors, "other: @_" });
    wait_for(sub { my $d = shift; $other->connect(sub { $d->() }) });
    my @got = wait_for(sub { my $d = shift; $other->seek($topic, 7, -1, sub { $d->('seek', @_) }) });
    is($got[0], 'seek', 'a seek that fails calls back');
    ok(!defined $got[1] && $got[2], 'with (undef, $error)') or diag explain \@got;
    ($res, $err) = wait_for(sub { $other->lag(shift) });
    is_deeply($res, {}, 'lag that fails: {}');
    ok($err, 'and the error');
    is_deeply(\@errors, [], 'none of them went to on_error');
    # without a callback the error has nowhere else to go
    $other->seek($topic, 7, -2);
    my $t;
    wait_for(sub { my $d = shift; $t = EV::timer(0, 0.05, sub { $d->() if @errors }) });
    undef $t;
    like($errors[0] // '', qr/^other: seek: /, 'a seek without a callback that fails goes to on_error');
    @errors = ();
    wait_for(sub { $other->close(shift) });
    # libkfk's consume rounds end without an error; a failing one is fed to
    # poll's handler as the queue would pass it
    my @polled;
    EV::Kafka::Client::_polled(Kfk::FFI::EVENT_RESULT, undef, 'round failed', -1, [$kafka, 0, sub { @polled = @_ }]);
    is_deeply(\@polled, [undef, 'round failed'], 'a poll that fails calls back with (undef, $error)');
}

# No group subscription: nothing to commit, and commit calls back with no
# error, as EV::Kafka's does.
my @committed = wait_for(sub { my $d = shift; $kafka->commit(sub { $d->('called', @_) }) });
is_deeply(\@committed, ['called'], 'commit on a manual assignment: $cb->() with no error');
is_deeply(\@errors, [], 'nothing went to on_error');

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
