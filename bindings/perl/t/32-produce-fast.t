# The producer's fast paths (issue #20): produce_many as columns
# (kfk_produce_values per topic and partition), produce's delivery
# callback built from the report, and records produced without a callback,
# whose successes never cross into Perl and whose failures reach on_log.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $conn = connected_conn();
my $topic_a = create_topic($conn);
my $topic_b = create_topic($conn, 2);

# Every record of $topic's partition $partition from offset 0, as [key, value].
sub stored {
    my ($topic, $partition, $count) = @_;
    my @got;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", on_error => sub { diag "consumer: @_" },
        on_message => sub { push @got, [@_[3, 4]] });
    wait_for(sub { my $d = shift; $kafka->connect(sub { $d->() }) });
    $kafka->assign([{ topic => $topic, partition => $partition, offset => 0 }]);
    my $deadline = time + 30;
    wait_for(sub {
        my $done = shift;
        my $round;
        $round = sub { @got >= $count || time > $deadline ? $done->() : $kafka->poll($round) };
        $kafka->poll($round);
    }, 40);
    wait_for(sub { $kafka->close(shift) });
    return \@got;
}

my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { diag "client: @_" });
wait_for(sub { my $d = shift; $kafka->connect(sub { $d->() }) });

# Mixed topics, arrays and hashes, null and empty keys and values, binary
# data, strings with the UTF-8 flag: each partition gets its messages in
# order, byte for byte.
{
    my $all = join '', map { chr } 0 .. 255;
    my $upgraded = "caf\xe9 \0 \xff";
    utf8::upgrade($upgraded);
    my @a = ([undef, 'v1'], ['', ''], ['k3', undef], [$all, "\0\0nul\0"], [$upgraded, $upgraded], ['k6', $all x 4]);
    my @b0 = (['b1', 'one'], [undef, undef], ['b3', '']);
    my @messages = (
        [$topic_a, @{ $a[0] }], { topic => $topic_b, key => $b0[0][0], value => $b0[0][1], partition => 0 },
        [$topic_a, @{ $a[1] }], [$topic_b, @{ $b0[1] }, { partition => 0 }], { topic => $topic_a, key => $a[2][0], value => $a[2][1] },
        [$topic_a, @{ $a[3] }], [$topic_a, @{ $a[4] }], [$topic_b, @{ $b0[2] }, { partition => 0 }], [$topic_a, @{ $a[5] }],
    );
    my ($errors) = wait_for(sub { my $d = shift; $kafka->produce_many(\@messages, sub { $d->(@_) }) });
    ok(!defined $errors, 'mixed topics: every message delivered') or diag explain $errors;
    ok(utf8::is_utf8($upgraded), 'the caller\'s string keeps its UTF-8 flag');
    my @want_a = map { [$_->[0], $_->[1]] } @a;
    utf8::downgrade($_) for grep { defined } map { @$_ } @want_a;
    is_deeply(stored($topic_a, 0, 6), \@want_a, 'topic A: keys and values in order, null and empty kept, bytes as sent');
    is_deeply(stored($topic_b, 0, 3), \@b0, 'topic B partition 0: its messages in order');

    # one topic of arrays only: the single-call path
    my @one = map { [$topic_b, $_ % 3 ? "k$_" : undef, $_ % 4 ? "value $_" : ($_ % 8 ? '' : undef), { partition => 1 }] }
        1 .. 50;
    my @plain = map { [$topic_b, $_ % 2 ? undef : "p$_", "plain $_"] } 1 .. 5;
    ($errors) = wait_for(sub { my $d = shift; $kafka->produce_many(\@one, sub { $d->(@_) }) });
    ok(!defined $errors, 'fifty messages to one partition delivered');
    is_deeply(stored($topic_b, 1, 50), [map { [@$_[1, 2]] } @one], 'in order, null and empty kept');
    ($errors) = wait_for(sub { my $d = shift; $kafka->produce_many(\@plain, sub { $d->(@_) }) });
    ok(!defined $errors, 'plain [topic, key, value] messages of one topic delivered');
    my ($returned, $inside);
    ($errors) = wait_for(sub {
        my $d = shift;
        $kafka->produce_many([], sub { $inside = !$returned; $d->(@_) });
        $returned = 1;
    });
    ok(!defined $errors, 'no messages: the callback still runs, without errors');
    ok(!$inside, 'from the loop, not inside produce_many');
}

# A custom partitioner, once per message, for a topic the client learns
# of only by asking (created after it connected): every partition gets its
# messages in order, explicit partitions among them included.
{
    my %calls;
    my $parted = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { diag "parted: @_" },
        partitioner => sub { my ($t, $key, $n) = @_; $calls{$key}++; return $key =~ /(\d+)/ ? $1 % $n : 0 });
    wait_for(sub { my $d = shift; $parted->connect(sub { $d->() }) });
    my $late = create_topic($conn, 2);
    my @messages = map { $_ % 5 == 0 ? [$late, "e$_", "explicit $_", { partition => 1 }] : [$late, "k$_", "value $_"] }
        1 .. 20;
    splice @messages, 7, 0, [$topic_a, 'k7a', 'to A'];
    my ($errors) = wait_for(sub { my $d = shift; $parted->produce_many(\@messages, sub { $d->(@_) }) });
    ok(!defined $errors, 'partitioned produce_many delivered') or diag explain $errors;
    is_deeply([sort grep { $calls{$_} != 1 } keys %calls], [], 'the partitioner ran once per message');
    is(scalar keys %calls, 17, 'for every message without an explicit partition');
    for my $p (0, 1) {
        my @want = map { [@$_[1, 2]] }
            grep { $_->[0] eq $late && ($_->[3] ? $_->[3]{partition} : ($_->[1] =~ /(\d+)/)[0] % 2) == $p } @messages;
        is_deeply(stored($late, $p, scalar @want), \@want, "partition $p: its messages in order");
    }
    wait_for(sub { $parted->close(shift) });
}

# Failures reach the one callback as error strings in the messages' order,
# whichever call (topic) carried them; the other messages are stored.
{
    my $small = EV::Kafka->new(brokers => "$host:$port", acks => 1, message_max_bytes => 1000,
        on_error => sub { diag "small: @_" });
    wait_for(sub { my $d = shift; $small->connect(sub { $d->() }) });
    my $topic = create_topic($conn);
    my ($errors) = wait_for(sub {
        my $d = shift;
        $small->produce_many([[$topic, 'm1', 'first'], ['bad/topic', 'm2', 'v'], [$topic, 'm3', 'x' x 2000],
            [$topic, 'm4', 'last']], sub { $d->(@_) });
    });
    is(scalar @{ $errors // [] }, 2, 'two failures listed') or diag explain $errors;
    like($errors->[0] // '', qr/invalid topic/, 'the second message\'s first');
    like($errors->[1] // '', qr/message_max_bytes/, 'then the third\'s');
    is_deeply(stored($topic, 0, 2), [['m1', 'first'], ['m4', 'last']], 'the others were stored');
    wait_for(sub { $small->close(shift) });
}

# A topic whose broker refuses records above 1000 bytes: delivery fails
# after the record was accepted.
my $strict = unique('perl-strict');
my ($created) = wait_for(sub {
    $kafka->create_topics([{ name => $strict, num_partitions => 1, replication_factor => 1,
        config => { 'max.message.bytes' => 1000 } }], 10000, shift);
});
is($created->{topics}[0]{error_code}, 0, 'a topic with max.message.bytes=1000');

# produce's callback: the report as EV::Kafka's result, and a failure.
{
    my ($res, $err) = wait_for(sub { $kafka->produce($topic_a, 'k', 'v', shift) });
    ok(!$err, 'delivered') or diag $err;
    my $p = $res->{topics}[0]{partitions}[0];
    is($res->{topics}[0]{topic}, $topic_a, 'the result names the topic');
    is_deeply([@{$p}{qw(partition error_code log_append_time)}], [0, 0, -1], 'partition, no error, no append time');
    ok($p->{base_offset} >= 0 && $p->{timestamp} > 0, 'an offset and the record\'s timestamp');

    ($res, $err) = wait_for(sub { $kafka->produce($strict, 'k', 'x' x 5000, shift) });
    like($err // '', qr/^MESSAGE_TOO_LARGE: /, 'a failed delivery: the error');
    is($res->{topics}[0]{partitions}[0]{error_code}, 10, 'and its Kafka error code in the result');
}

# Callbacks wait in reused slots: each gets its own record's report, once,
# across rounds and around records the library refuses at once.
{
    my $small = EV::Kafka->new(brokers => "$host:$port", acks => 1, message_max_bytes => 1000,
        on_error => sub { diag "small: @_" });
    wait_for(sub { my $d = shift; $small->connect(sub { $d->() }) });
    my $topic = create_topic($conn);
    my (%calls, @offsets, @refused);
    for my $round (1 .. 3) {
        wait_for(sub {
            my $done = shift;
            my $left = 100;
            for my $i (1 .. 100) {
                my $id = "$round.$i";
                my $large = $i % 10 == 0;
                $small->produce($topic, $id, $large ? 'x' x 2000 : "value $id", { partition => 0 }, sub {
                    my ($res, $err) = @_;
                    $calls{$id}++;
                    if ($large) { push @refused, $id if $err && $err =~ /^MESSAGE_TOO_LARGE/ }
                    elsif (!$err) { push @offsets, [$id, $res->{topics}[0]{partitions}[0]{base_offset}] }
                    $done->() if --$left == 0;
                });
            }
        });
    }
    is(scalar(keys %calls), 300, 'every callback ran');
    is(scalar(grep { $_ != 1 } values %calls), 0, 'each once');
    is(scalar @refused, 30, 'the refused records\' callbacks got their error');
    my @stored = map { [@$_[0, 1]] } sort { $a->[1] <=> $b->[1] } @offsets;
    is(scalar @stored, 270, 'the others were delivered');
    is_deeply([map { $_->[0] } @stored],
        [map { my $r = $_; map { "$r.$_" } grep { $_ % 10 } 1 .. 100 } 1 .. 3], 'in order, each with its offset');
    is_deeply([map { $_->[1] } @stored], [0 .. 269], 'offsets 0 to 269 of the new topic');
    my $got = stored($topic, 0, 270);
    is_deeply([map { $_->[0] } @$got], [map { $_->[0] } @stored], 'the offsets the callbacks got hold those records');
    wait_for(sub { $small->close(shift) });
}

# Records produced without a callback: no event crosses into Perl for a
# success; a failure is one DELIVERY event, which goes to on_log.
{
    my $deliveries = 0;
    no warnings 'redefine';
    my $poll = \&Kfk::FFI::kfk_poll_batch;
    my $queue = $kafka->{queue};    # every client of the loop shares it
    local *Kfk::FFI::kfk_poll_batch = sub {
        my $n = $poll->(@_);
        $deliveries += grep { $_ == Kfk::FFI::EVENT_DELIVERY } unpack("(l x44)$n", $queue->{events}) if $n > 0;
        return $n;
    };
    my @lines;
    my $logged = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { diag "logged: @_" },
        on_log => sub { push @lines, [@_] });
    wait_for(sub { my $d = shift; $logged->connect(sub { $d->() }) });
    $logged->produce($topic_a, "k$_", "fire and forget $_") for 1 .. 1000;
    wait_for(sub { $logged->flush(shift) });
    is($deliveries, 0, 'a thousand delivered records without a callback: no DELIVERY event reached Perl');

    $logged->produce($strict, 'k', 'x' x 5000);
    wait_for(sub { $logged->flush(shift) });
    is($deliveries, 1, 'a failed one: one DELIVERY event');
    my @failed = grep { $_->[2] =~ /without a callback/ } @lines;
    is(scalar @failed, 1, 'which on_log gets as one line') or diag explain \@lines;
    is($failed[0][0], 'error', 'at level error');
    like($failed[0][2], qr/\Q$strict\E \[0\].*MESSAGE_TOO_LARGE/, 'naming the topic, partition and error');

    my @client_errors;
    my $quiet = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { push @client_errors, "@_" });
    wait_for(sub { my $d = shift; $quiet->connect(sub { $d->() }) });
    $quiet->produce($strict, 'k', 'x' x 5000);
    wait_for(sub { $quiet->flush(shift) });
    is($deliveries, 2, 'without on_log the failure still arrives');
    is_deeply(\@client_errors, [], 'and is dropped, as EV::Kafka does: no on_error');
    wait_for(sub { $_->close(shift) }) for $logged, $quiet;
}

# After fork() the parent's client croaks in the child, with a callback or
# without one, before anything is queued.
{
    my $pid = fork // die "fork: $!";
    if (!$pid) {    # only Perl here; _exit skips destructors
        my @ok = map { !eval { $_->(); 1 } && $@ =~ /parent process/ ? 1 : 0 }
            sub { $kafka->produce($topic_a, 'k', 'v', sub {}) }, sub { $kafka->produce($topic_a, 'k', 'v') },
            sub { $kafka->produce_many([[$topic_a, 'k', 'v']], sub {}) };
        require POSIX;
        POSIX::_exit((grep { $_ } @ok) == 3 ? 0 : 1);
    }
    waitpid $pid, 0;
    is($? >> 8, 0, 'in a child of fork, produce and produce_many croak about the parent process');
}

wait_for(sub { $kafka->close(shift) });
done_testing;
