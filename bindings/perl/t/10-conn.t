use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use Time::HiRes ();
use FindBin;
require "$FindBin::Bin/lib.pl";

my $conn = connected_conn();
ok($conn->connected, 'connected');
is($conn->state, 6, 'state is 6 (ready)');
my $vers = $conn->api_versions;
ok($vers->{0} >= 3 && $vers->{1} >= 4, 'api_versions has Produce and Fetch');

my $topic = create_topic($conn, 2);

# metadata: the documented structure
my ($md, $err) = wait_for(sub { $conn->metadata([$topic], shift) });
ok(!$err, 'metadata without error');
is($md->{topics}[0]{name}, $topic, 'metadata topic name');
is(scalar @{ $md->{topics}[0]{partitions} }, 2, 'two partitions');
ok(defined $md->{controller_id} && $md->{brokers}[0]{port}, 'controller and brokers');
ok(exists $md->{topics}[0]{partitions}[0]{leader}, 'partition leader');

# produce with headers, then produce_batch with each codec
my ($pr) = wait_for(sub {
    $conn->produce($topic, 0, 'key', 'value', { headers => { h1 => 'v1' } }, shift);
});
is($pr->{topics}[0]{partitions}[0]{error_code}, 0, 'produce error_code 0');
is($pr->{topics}[0]{partitions}[0]{base_offset}, 0, 'produce base_offset 0');
for my $codec (qw(gzip snappy lz4 zstd)) {
    my ($r) = wait_for(sub {
        $conn->produce_batch($topic, 0, [
            { key => "k-$codec", value => "v-$codec" },
            { key => undef, value => "\0binary\xff" },
        ], { acks => -1, compression => $codec }, shift);
    });
    is($r->{topics}[0]{partitions}[0]{error_code}, 0, "produce_batch with $codec");
}

# fetch: the documented records
my ($f) = wait_for(sub { $conn->fetch($topic, 0, 0, { max_bytes => 1 << 20 }, shift) });
my $p = $f->{topics}[0]{partitions}[0];
is($p->{high_watermark}, 9, 'high_watermark');
my @recs = @{ $p->{records} };
is(scalar @recs, 9, 'nine records');
is_deeply([@{ $recs[0] }{qw(offset key value)}], [0, 'key', 'value'], 'first record');
is_deeply($recs[0]{headers}, { h1 => 'v1' }, 'headers');
ok(!defined $recs[2]{key}, 'null key is undef');
is($recs[2]{value}, "\0binary\xff", 'binary value round-trips');
ok($recs[0]{timestamp} > 1_600_000_000_000, 'timestamp in ms');

# Conn produce's timestamp option: 0 is a time like any other; absent or
# negative means now. (Records this old roll the broker's log segment, and
# a fetch stops at a segment's end: fetch until every record is there. The
# topic keeps them forever, so retention cannot take them meanwhile.)
{
    my $ts_topic = create_topic($conn, 1, { 'retention.ms' => '-1' });
    my @cases = (['0', { timestamp => 0 }], ['1234', { timestamp => 1234 }], ['absent', {}],
                 ['-1', { timestamp => -1 }], ['-5', { timestamp => -5 }]);
    my $before = int(Time::HiRes::time() * 1000) - 1000;
    for my $case (@cases) {
        my ($name, $opts) = @$case;
        my ($res, $err) = wait_for(sub { $conn->produce($ts_topic, 0, $name, 'v', $opts, shift) });
        ok(!$err && $res->{topics}[0]{partitions}[0]{error_code} == 0, "produce with timestamp $name")
            or diag $err // "error_code $res->{topics}[0]{partitions}[0]{error_code}";
    }
    my %ts;
    for (1 .. 20) {
        my $next = keys %ts;
        my ($tf) = wait_for(sub { $conn->fetch($ts_topic, 0, $next, shift) });
        $ts{ $_->{key} } = $_->{timestamp} for @{ $tf->{topics}[0]{partitions}[0]{records} };
        last if keys %ts >= @cases;
    }
    is($ts{0}, 0, 'timestamp 0 is stored as 0');
    is($ts{1234}, 1234, 'timestamp 1234 as 1234');
    cmp_ok($ts{$_} // 0, '>=', $before, "timestamp $_ means now") for 'absent', '-1', '-5';
}

# fetch_multi
my ($fm) = wait_for(sub {
    $conn->fetch_multi({ $topic => [{ partition => 0, offset => 7 }, { partition => 1, offset => 0 }] }, shift);
});
my %parts = map { $_->{partition} => $_ } @{ $fm->{topics}[0]{partitions} };
is(scalar @{ $parts{0}{records} }, 2, 'fetch_multi partition 0 from offset 7');
is(scalar @{ $parts{1}{records} }, 0, 'fetch_multi partition 1 empty');

# list_offsets
my ($lo) = wait_for(sub { $conn->list_offsets($topic, 0, -1, shift) });
is($lo->{topics}[0]{partitions}[0]{offset}, 9, 'latest offset');
($lo) = wait_for(sub { $conn->list_offsets($topic, 0, -2, shift) });
is($lo->{topics}[0]{partitions}[0]{offset}, 0, 'earliest offset');

# pipelining: many requests in flight, callbacks in order of completion
my $n = 0;
wait_for(sub {
    my $done = shift;
    for my $i (1 .. 200) {
        $conn->produce($topic, 1, undef, "m$i", sub { $done->() if ++$n == 200 });
    }
    # (callbacks run only from the loop: all 200 are still to come)
    is($conn->pending, 200, 'requests pending');
});
is($n, 200, '200 pipelined produces completed');
is($conn->pending, 0, 'nothing pending once every callback ran');

# fire-and-forget (acks=0)
my ($r0, $e0) = wait_for(sub { $conn->produce($topic, 1, undef, 'ff', { acks => 0 }, shift) });
ok(!$e0 && !defined $r0, 'acks=0 completes with no result');

# groups
my $group = unique('perlgroup');
my ($co) = retry_codes(sub { $conn->find_coordinator($group, shift) }, 15);
is($co->{error_code}, 0, 'find_coordinator');
my ($j) = retry_codes(sub { $conn->join_group($group, '', [$topic], shift, 10000, 10000) }, 14, 15, 16);
if ($j->{error_code} == 79) {
    ($j) = wait_for(sub { $conn->join_group($group, $j->{member_id}, [$topic], shift, 10000, 10000) });
}
is($j->{error_code}, 0, 'join_group (after MEMBER_ID_REQUIRED)');
my ($member, $gen) = @{$j}{qw(member_id generation_id)};
# sync_group as EV::Kafka's leader calls it: each member's assignment as
# consumer protocol bytes (version, [topic, [partition]], null user data),
# and this member's back as such bytes
my $bytes = pack('n N n/a* N l>2 l>', 0, 1, $topic, 2, 0, 1, -1);
my ($s) = wait_for(sub {
    $conn->sync_group($group, $gen, $member, [{ member_id => $member, assignment => $bytes }], shift);
});
is($s->{error_code}, 0, 'sync_group');
is(unpack('H*', $s->{assignment}), unpack('H*', $bytes), 'the assignment comes back as those bytes');
# the structured form still works, with the same answer
($s) = wait_for(sub {
    $conn->sync_group($group, $gen, $member,
        [{ member_id => $member, topics => [{ topic => $topic, partitions => [0, 1] }] }], shift);
});
is($s->{error_code}, 0, 'sync_group with topics');
is(unpack('H*', $s->{assignment}), unpack('H*', $bytes), 'the same bytes');
eval { $conn->sync_group($group, $gen, $member, [{ member_id => $member, assignment => "\0\0\0\0\0\2" }], sub { }) };
like($@, qr/^sync_group: an assignment is not a consumer protocol assignment at \Q$0\E line/,
    'bytes that are not an assignment croak');
my ($hb) = wait_for(sub { $conn->heartbeat($group, $gen, $member, shift) });
is($hb->{error_code}, 0, 'heartbeat');
# offset_fetch with EV::Kafka's [{topic, partitions}]: every partition asked
# for comes back, -1 where nothing is committed
my ($of) = wait_for(sub { $conn->offset_fetch($group, [{ topic => $topic, partitions => [1, 0] }], shift) });
is_deeply([map { [$_->{partition}, $_->{offset}, $_->{error_code}] } @{ $of->{topics}[0]{partitions} }],
    [[1, -1, 0], [0, -1, 0]], 'offset_fetch of a group with no commits: offset -1 for each partition');
is($of->{topics}[0]{topic}, $topic, 'with its topic');
my ($oc) = wait_for(sub {
    $conn->offset_commit($group, $gen, $member, [{ topic => $topic, partition => 0, offset => 5 }], shift);
});
is($oc->{topics}[0]{partitions}[0]{error_code}, 0, 'offset_commit');
($of) = wait_for(sub { $conn->offset_fetch($group, [$topic], shift) });
is($of->{topics}[0]{partitions}[0]{offset}, 5, 'offset_fetch');
($of) = wait_for(sub { $conn->offset_fetch($group, [{ topic => $topic, partitions => [0, 1] }], shift) });
is_deeply([map { [$_->{partition}, $_->{offset}] } @{ $of->{topics}[0]{partitions} }], [[0, 5], [1, -1]],
    'offset_fetch with partitions: the committed one, and -1 for the other');
my ($lg) = wait_for(sub { $conn->leave_group($group, $member, shift) });
is($lg->{error_code}, 0, 'leave_group');

# transactions: finding the coordinator first, as a client does, also
# creates the transaction log on a fresh broker; until it is loaded the
# broker answers COORDINATOR_LOAD_IN_PROGRESS, _NOT_AVAILABLE or NOT_COORDINATOR.
my $txn = unique('perltxn');
my ($tc) = retry_codes(sub { $conn->find_coordinator($txn, shift, 1) }, 15);
is($tc->{error_code}, 0, 'find_coordinator (transaction)');
my ($ip) = retry_codes(sub { $conn->init_producer_id($txn, 60000, shift) }, 14, 15, 16, 51);
is($ip->{error_code}, 0, 'init_producer_id');
my ($pid, $epoch) = @{$ip}{qw(producer_id producer_epoch)};
my ($ap) = wait_for(sub { $conn->add_partitions_to_txn($txn, $pid, $epoch, [{ topic => $topic, partitions => [0] }], shift) });
is($ap->{topics}[0]{partitions}[0]{error_code}, 0, 'add_partitions_to_txn');
my ($tp) = wait_for(sub {
    $conn->produce_batch($topic, 0, [{ value => 'in-txn' }],
        { acks => -1, producer_id => $pid, producer_epoch => $epoch, base_sequence => 0, transactional_id => $txn }, shift);
});
is($tp->{topics}[0]{partitions}[0]{error_code}, 0, 'transactional produce');
my ($et) = retry_codes(sub { $conn->end_txn($txn, $pid, $epoch, 1, shift) }, 14, 15, 16, 51);
is($et->{error_code}, 0, 'end_txn commit');
$epoch = $et->{producer_epoch} if defined $et->{producer_epoch};
my ($ao) = retry_codes(sub { $conn->add_offsets_to_txn($txn, $pid, $epoch, $group, shift) }, 14, 15, 16, 51);
is($ao->{error_code}, 0, 'add_offsets_to_txn');
my $toc;
for (1 .. 300) {
    ($toc) = wait_for(sub {
        $conn->txn_offset_commit($txn, $group, $pid, $epoch, -1, undef, [{ topic => $topic, partition => 0, offset => 1 }], shift);
    });
    last unless grep { $_ == $toc->{topics}[0]{partitions}[0]{error_code} } 14, 15, 16, 51;
    select undef, undef, undef, 0.1;
}
is($toc->{topics}[0]{partitions}[0]{error_code}, 0, 'txn_offset_commit');
($et) = retry_codes(sub { $conn->end_txn($txn, $pid, $epoch, 0, shift) }, 14, 15, 16, 51);
is($et->{error_code}, 0, 'end_txn abort');

# admin error codes
my ($again) = wait_for(sub { $conn->create_topics([{ name => $topic, num_partitions => 1, replication_factor => 1 }], 5000, shift) });
is($again->{topics}[0]{error_code}, 36, 'TOPIC_ALREADY_EXISTS');
my ($del) = wait_for(sub { $conn->delete_topics([$topic], 10000, shift) });
is($del->{topics}[0]{error_code}, 0, 'delete_topics');

# disconnect fails pending requests with "disconnected": the request is a
# fetch of an empty partition asking for more bytes than will come, which
# the broker holds for its whole wait (once the partition's leader serves)
my $held = "$topic-held";
wait_for(sub { $conn->create_topics([{ name => $held, num_partitions => 1, replication_factor => 1 }], 5000, shift) });
for (1 .. 300) {
    my ($r) = wait_for(sub { $conn->fetch($held, 0, 0, { max_wait_ms => 0 }, shift) });
    last if $r && $r->{topics}[0]{partitions}[0]{error_code} == 0;
    select undef, undef, undef, 0.1;
}
my ($dr, $derr) = wait_for(sub {
    my $done = shift;
    $conn->fetch($held, 0, 0, { max_wait_ms => 30000, min_bytes => 1 << 30 }, $done);
    my $t; $t = EV::timer(0.2, 0, sub { undef $t; $conn->disconnect });
});
ok(!defined $dr, 'no result after disconnect');
is($derr, 'disconnected', 'pending request error is "disconnected"');
ok(!$conn->connected, 'not connected');

# Every request on a connection that is not ready croaks "not connected"
# at once, as EV::Kafka's do, and its callback never runs: after
# disconnect, and on a connection never connected.
my $called = 0;
my $cb = sub { $called++ };
my %requests = (
    metadata              => [undef, $cb],
    produce               => [$topic, 0, 'k', 'v', $cb],
    produce_batch         => [$topic, 0, [{ value => 'v' }], $cb],
    fetch                 => [$topic, 0, 0, $cb],
    fetch_multi           => [{ $topic => [{ partition => 0, offset => 0 }] }, $cb],
    list_offsets          => [$topic, 0, -1, $cb],
    find_coordinator      => [$group, $cb],
    join_group            => [$group, '', [$topic], $cb],
    sync_group            => [$group, 1, 'member', [], $cb],
    heartbeat             => [$group, 1, 'member', $cb],
    leave_group           => [$group, 'member', $cb],
    offset_commit         => [$group, 1, 'member', [{ topic => $topic, partition => 0, offset => 1 }], $cb],
    offset_fetch          => [$group, [$topic], $cb],
    create_topics         => [[{ name => $topic }], 1000, $cb],
    delete_topics         => [[$topic], 1000, $cb],
    init_producer_id      => [undef, 1000, $cb],
    add_partitions_to_txn => [$txn, 1, 0, [{ topic => $topic, partitions => [0] }], $cb],
    add_offsets_to_txn    => [$txn, 1, 0, $group, $cb],
    end_txn               => [$txn, 1, 0, 1, $cb],
    txn_offset_commit     => [$txn, $group, 1, 0, -1, undef, [{ topic => $topic, partition => 0, offset => 1 }], $cb],
);
my $never = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
for my $c (['after disconnect', $conn], ['never connected', $never]) {
    my ($state, $c) = @$c;
    for my $method (sort keys %requests) {
        eval { $c->$method(@{ $requests{$method} }) };
        like($@, qr/^not connected at \Q$0\E line/, "$method $state croaks not connected");
    }
}
is($conn->pending + $never->pending, 0, 'nothing was queued');
my ($host, $port) = broker();
ok(wait_for(sub { my $done = shift; $conn->on_connect(sub { $done->(1) }); $conn->connect($host, $port, 5.0) }),
    'connected again');
my ($again_md) = wait_for(sub { $conn->metadata(undef, shift) });
ok(scalar @{ $again_md->{brokers} }, 'and requests work again');
is($called, 0, 'no callback of a refused request ran meanwhile');

# bad arguments croak
eval { $conn->produce_batch($topic, 0, [], sub {}) };
like($@, qr/non-empty array/, 'empty batch croaks');
eval { $conn->produce($topic, 0, 'k', 'v', { compression => 'brotli' }, sub {}) };
like($@, qr/unknown compression/, 'bad codec croaks');

done_testing;
