# The documented options of EV::Kafka->new and EV::Kafka::Conn that other
# tests do not exercise: TLS with a CA file or without verification,
# producer batching and idempotence, the consumer's fetch limits, periodic
# metadata refresh, group options (rebalance_timeout, group_instance_id,
# on_revoke), and a connection's on_disconnect and auto_reconnect.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use IO::Select;
use POSIX ();
use IO::Socket::INET;
use Time::HiRes qw(time);
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $setup = connected_conn();

sub client {
    my (%opt) = @_;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", on_error => sub { fail("client error: @_") }, %opt);
    wait_for(sub { my $done = shift; $kafka->connect(sub { $done->() }) });
    return $kafka;
}

sub close_client { my $k = shift; wait_for(sub { $k->close(shift) }) }

# Runs the loop until $cond is true (checked every 50 ms) or $timeout s.
sub wait_until {
    my ($cond, $timeout) = @_;
    return 1 if $cond->();
    my $check = EV::timer(0.05, 0.05, sub { EV::break if $cond->() });
    my $limit = EV::timer($timeout // 30, 0, sub { EV::break });
    EV::run;
    return $cond->();
}

subtest 'bad option values are refused, naming the option' => sub {
    for my $bad ([linger_ms => -1], [batch_size => 'big'], [fetch_max_bytes => 0], [metadata_refresh => 'x']) {
        my ($key, $value) = @$bad;
        eval { EV::Kafka->new(brokers => "$host:$port", $key => $value) };
        like $@, qr/\Q$key\E/, "$key => $value croaks naming $key";
    }
};

subtest 'tls, tls_ca_file, tls_skip_verify' => sub {
    plan skip_all => 'KFK_TEST_TLS_BROKERS is not set' unless $ENV{KFK_TEST_TLS_BROKERS};
    my $topic = create_topic($setup, 1);
    for my $case (['tls_ca_file' => { tls_ca_file => $ENV{KFK_TEST_TLS_CA} }],
                  ['tls_skip_verify' => { tls_skip_verify => 1 }]) {
        my ($name, $opts) = @$case;
        my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_TLS_BROKERS}, tls => 1, acks => 1, %$opts,
            on_error => sub { fail("$name: @_") });
        my ($res, $err) = wait_for(sub {
            my $done = shift;
            $kafka->connect(sub { $kafka->produce($topic, 'k', "over tls ($name)", { partition => 0 }, $done) });
        });
        ok !$err && defined $res->{topics}[0]{partitions}[0]{base_offset}, "produced over TLS with $name"
            or diag $err;
        close_client($kafka);
    }
    my $unverified;
    my $err = wait_for(sub {
        my $done = shift;
        $unverified = EV::Kafka->new(brokers => $ENV{KFK_TEST_TLS_BROKERS}, tls => 1, on_error => $done);
        $unverified->connect(sub { $done->('connected') });
    });
    like $err, qr/tls|certificate|x509/i, 'without a CA file the broker\'s certificate is refused';
    close_client($unverified);
};

subtest 'linger_ms, batch_size and idempotent' => sub {
    my $topic = create_topic($setup, 1);
    my $kafka = client(linger_ms => 20, batch_size => 65536, idempotent => 1);
    my (@offsets, $seen_id);
    wait_for(sub {
        my $done = shift;
        my $left = 300;
        for my $i (0 .. 299) {
            $kafka->produce($topic, undef, "r$i", { partition => 0 }, sub {
                my ($res, $err) = @_;
                $seen_id //= $kafka->{cfg}{producer_id};
                $offsets[$i] = $err ? "error: $err" : $res->{topics}[0]{partitions}[0]{base_offset};
                $done->() if --$left == 0;
            });
        }
    });
    is_deeply \@offsets, [0 .. 299], 'every record stored once, in the order produced';
    # EV::Kafka programs read the idempotent producer's id from {cfg}.
    cmp_ok $seen_id // -1, '>=', 0, '$kafka->{cfg}{producer_id} is set by the first delivery callback';
    my ($id, $epoch) = @{ $kafka->{cfg} }{qw(producer_id producer_epoch)};
    ok defined $epoch && $epoch >= 0, 'and producer_epoch ' . ($epoch // 'undef');
    my $again = client(idempotent => 1);
    # EV::Kafka calls InitProducerId on connect: the id is there once connected.
    cmp_ok $again->{cfg}{producer_id} // -1, '>=', 0, 'connect sets {cfg}{producer_id}';
    my $connected_id = $again->{cfg}{producer_id};
    wait_for(sub { $again->produce_many([[$topic, undef, 'other', { partition => 0 }]], shift) });
    cmp_ok $again->{cfg}{producer_id} // -1, '>=', 0, 'produce_many\'s completion sets it too';
    isnt $again->{cfg}{producer_id}, $id, 'each producer has its own id';
    is $again->{cfg}{producer_id}, $connected_id, 'the one it got on connect';
    is $kafka->{cfg}{acks}, -1, '{cfg} holds the options, with EV::Kafka\'s defaults';
    is $kafka->{cfg}{linger_ms}, 20, 'and those given';
    my $plain = client();
    wait_for(sub { $plain->produce($topic, undef, 'plain', { partition => 0 }, shift) });
    ok !exists $plain->{cfg}{producer_id}, 'a plain producer has no producer_id';
    close_client($_) for $kafka, $again, $plain;
};

subtest 'fetch_min_bytes, fetch_max_wait_ms, fetch_max_bytes' => sub {
    my $topic = create_topic($setup, 1);
    for my $i (0 .. 19) {
        wait_for(sub { $setup->produce($topic, 0, undef, sprintf('%02d', $i) . ('x' x 998), shift) });
    }
    # The broker holds a fetch until fetch_min_bytes arrive or
    # fetch_max_wait_ms pass: 20 KB never reach 1 MB, so a poll takes the wait.
    my @got;
    my $slow = client(fetch_min_bytes => 1_000_000, fetch_max_wait_ms => 600,
        on_message => sub { push @got, substr($_[4], 0, 2) });
    $slow->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    my $t0 = time;
    wait_for(sub { $slow->poll(shift) });
    cmp_ok time - $t0, '>=', 0.4, 'the poll waited for fetch_max_wait_ms';
    close_client($slow);
    # A 2 KB response limit still makes progress through 1 KB records.
    @got = ();
    my $small = client(fetch_max_bytes => 2048, on_message => sub { push @got, substr($_[4], 0, 2) });
    $small->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    for (1 .. 100) {
        last if @got >= 20;
        wait_for(sub { $small->poll(shift) });
    }
    is_deeply \@got, [map { sprintf '%02d', $_ } 0 .. 19], 'every record read, in order, 2 KB at a time';
    close_client($small);
};

subtest 'max_poll_records' => sub {
    my $topic = create_topic($setup, 1);
    wait_for(sub { $setup->produce_batch($topic, 0, [map { { value => "r$_" } } 0 .. 49], shift) });
    my (@got, @per_poll);
    my $kafka = client(max_poll_records => 7, on_message => sub { push @got, $_[4] });
    $kafka->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    for (1 .. 100) {
        last if @got >= 50;
        my $before = @got;
        wait_for(sub { $kafka->poll(shift) });
        push @per_poll, @got - $before;
    }
    is_deeply \@got, [map { "r$_" } 0 .. 49], 'every record, in order';
    ok !(grep { $_ > 7 } @per_poll), 'no poll hands over more than max_poll_records' or diag "@per_poll";
    close_client($kafka);
};

subtest 'check_crcs' => sub {
    my $topic = create_topic($setup, 1);
    wait_for(sub { $setup->produce_batch($topic, 0, [map { { value => "c$_\0\xff" } } 0 .. 9], shift) });
    my @got;
    my $kafka = client(check_crcs => 0, on_message => sub { push @got, $_[4] });
    $kafka->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    for (1 .. 100) {
        last if @got >= 10;
        wait_for(sub { $kafka->poll(shift) });
    }
    is_deeply \@got, [map { "c$_\0\xff" } 0 .. 9], 'records read without verifying their CRCs are the same bytes';
    close_client($kafka);
    eval { client(check_crcs => 'maybe') };
    like $@, qr/check_crcs="maybe"/, 'a value other than 0/1 is refused, named';
};

subtest 'compression_level' => sub {
    my $topic = create_topic($setup, 1);
    my $producer = client(compression => 'zstd', compression_level => 19, acks => 1);
    my @sent = map { "z$_\0" . ("\xff" x $_) } 0 .. 9;
    for my $v (@sent) {
        my (undef, $err) = wait_for(sub { $producer->produce($topic, undef, $v, { partition => 0 }, shift) });
        ok !$err, 'produced at zstd level 19' or diag $err;
    }
    close_client($producer);
    my @got;
    my $consumer = client(on_message => sub { push @got, $_[4] });
    $consumer->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    for (1 .. 100) {
        last if @got >= 10;
        wait_for(sub { $consumer->poll(shift) });
    }
    is_deeply \@got, \@sent, 'read back the same bytes';
    close_client($consumer);
    eval { client(compression => 'snappy', compression_level => 3) };
    like $@, qr/compression_level/, 'a level the codec lacks is refused, named';
};

subtest 'metadata_refresh' => sub {
    my $topic = create_topic($setup, 1);
    my $admin = client();
    my $fresh = client(metadata_refresh => 1, acks => 1);
    my $stale = client(metadata_refresh => 0, acks => 1);
    for my $k ($fresh, $stale) {    # both learn the topic with one partition
        my (undef, $err) = wait_for(sub { $k->produce($topic, undef, 'first', { partition => 0 }, shift) });
        ok !$err, 'produced to partition 0' or diag $err;
    }
    my $err = wait_for(sub { $admin->create_partitions($topic, 2, 10000, shift) });
    ok !$err, 'the topic grew to 2 partitions' or diag $err;
    # A second-by-second refresh sees the growth, with no request made.
    wait_until(sub { Kfk::FFI::kfk_client_partition_count($fresh->{h}, $topic) == 2 });
    is Kfk::FFI::kfk_client_partition_count($fresh->{h}, $topic), 2, 'the periodic refresh saw the new partition';
    my (undef, $fresh_err) = wait_for(sub { $fresh->produce($topic, undef, 'new', { partition => 1 }, shift) });
    ok !$fresh_err, 'metadata_refresh => 1: partition 1 is known without a failed request' or diag $fresh_err;
    my (undef, $stale_err) = wait_for(sub { $stale->produce($topic, undef, 'new', { partition => 1 }, shift) });
    like $stale_err, qr/partition/i, 'metadata_refresh => 0: partition 1 is still unknown';
    close_client($_) for $admin, $fresh, $stale;
};

subtest 'rebalance_timeout, group_instance_id, on_revoke' => sub {
    my $topic = create_topic($setup, 2);
    my $group = unique('perl-options-group');
    my (@assigned_a, @revoked_a, @assigned_b);
    my $a = client();
    my $b = client();
    $a->subscribe($topic, group_id => $group, group_instance_id => "$group-a", rebalance_timeout => 10000,
        session_timeout => 10000, heartbeat_interval => 1,
        on_assign => sub { push @assigned_a, [@{ $_[0] }] }, on_revoke => sub { push @revoked_a, [@{ $_[0] }] });
    wait_until(sub { @assigned_a && @{ $assigned_a[-1] } == 2 });
    is scalar @{ $assigned_a[-1] // [] }, 2, 'the first member has both partitions';
    $b->subscribe($topic, group_id => $group, group_instance_id => "$group-b", rebalance_timeout => 10000,
        session_timeout => 10000, heartbeat_interval => 1, on_assign => sub { push @assigned_b, [@{ $_[0] }] });
    wait_until(sub { @assigned_b && @{ $assigned_b[-1] } == 1 }, 45);
    my ($revoked) = grep { @$_ } @revoked_a;
    ok $revoked, 'on_revoke ran for the first member when the second joined';
    is_deeply [sort map { "$_->{topic}:$_->{partition}" } @{ $revoked // [] }], ["$topic:0", "$topic:1"],
        'it was given the partitions it gave up';
    is scalar @{ $assigned_b[-1] // [] }, 1, 'the second member got one partition';
    wait_for(sub { my $done = shift; $b->unsubscribe(sub { $a->unsubscribe($done) }) });
    close_client($_) for $a, $b;
};

# A TCP relay to the broker in a child process; killing it cuts the
# connection, starting another on the same port lets a client back in.
sub start_relay {
    my ($listen_port) = @_;
    my $server = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $listen_port // 0, Listen => 5,
        ReuseAddr => 1) or die "listen: $!";
    my $got_port = $server->sockport;
    my $pid = fork // die "fork: $!";
    if (!$pid) {    # only Perl I/O here: libkfk is not usable after fork, and _exit skips destructors
        my $client = $server->accept or POSIX::_exit(0);
        my $broker = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port) or POSIX::_exit(1);
        my $sel = IO::Select->new($client, $broker);
        while (my @ready = $sel->can_read) {
            for my $from (@ready) {
                my $to = $from == $client ? $broker : $client;
                my $n = sysread($from, my $buf, 65536);
                POSIX::_exit(0) unless $n;
                defined syswrite($to, $buf) or POSIX::_exit(0);
            }
        }
        POSIX::_exit(0);
    }
    close $server;
    return ($pid, $got_port);
}

subtest 'on_disconnect and auto_reconnect' => sub {
    my ($relay, $relay_port) = start_relay();
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    my ($connects, @disconnects) = (0);
    $conn->on_error(sub { });    # refused reconnects while the relay is down
    $conn->on_disconnect(sub { push @disconnects, $_[0] // 'disconnected' });
    $conn->auto_reconnect(1, 200);
    wait_for(sub { my $done = shift; $conn->on_connect(sub { $connects++; $done->() }); $conn->connect('127.0.0.1', $relay_port, 5.0) });
    is $connects, 1, 'connected through the relay';
    kill 'KILL', $relay;
    waitpid $relay, 0;
    wait_until(sub { @disconnects });
    ok scalar @disconnects, 'on_disconnect ran when the broker side closed';
    ($relay) = start_relay($relay_port);
    wait_until(sub { $connects >= 2 });
    is $connects, 2, 'auto_reconnect connected again once the broker was back';
    my ($md, $err) = wait_for(sub { $conn->metadata(undef, shift) });
    ok $md && !$err, 'and requests work on the new connection' or diag $err;
    $conn->auto_reconnect(0);
    $conn->disconnect;
    kill 'KILL', $relay;
    waitpid $relay, 0;
};

done_testing;
