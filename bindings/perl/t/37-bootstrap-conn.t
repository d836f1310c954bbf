# $kafka->{cfg}{bootstrap_conn}: EV::Kafka's own example programs take an
# EV::Kafka::Conn from there in connect's callback (list_offsets,
# create_topics). It is connected when connect's callback and on_connect
# run, in that order (on_connect once), and goes with the client: close,
# a failed connect and freeing the client disconnect it, and EV::run
# still returns by itself.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use IO::Socket::INET;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die "listen: $!";
    return $s->sockport;
}

# Connects $kafka; returns what connect's callback and on_connect (which
# must push to @$order) saw of the bootstrap connection.
sub connect_client {
    my ($kafka, $order) = @_;
    return wait_for(sub {
        my $done = shift;
        $kafka->connect(sub {
            my ($meta) = @_;
            my $conn = $kafka->{cfg}{bootstrap_conn};
            push @$order, 'connect callback';
            $done->($meta, $conn, $conn && $conn->connected);
        });
    });
}

my @order;
my $on_connect_saw;
my @errors;
my $kafka;
$kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { push @errors, "@_" },
    on_connect => sub {
        push @order, 'on_connect';
        my $conn = $kafka->{cfg}{bootstrap_conn};
        $on_connect_saw = $conn && $conn->connected;
    });
ok(!defined $kafka->{cfg}{bootstrap_conn}, 'no bootstrap_conn before connect');
my ($meta, $conn, $connected) = connect_client($kafka, \@order);
isa_ok($conn, 'EV::Kafka::Conn', 'bootstrap_conn in connect\'s callback');
ok($connected, 'connected when connect\'s callback runs');
is(ref $meta->{brokers}, 'ARRAY', 'the callback still gets the metadata');
is($kafka->{cfg}{meta}, $meta, 'which {cfg}{meta} holds too');
is_deeply(\@order, ['connect callback', 'on_connect'], 'connect\'s callback runs first, then on_connect');
ok($on_connect_saw, 'on_connect sees bootstrap_conn connected');
is($conn->state, 6, 'the connection is ready (state 6)');
is($conn->{queue}, $kafka->{queue}, 'on the client\'s loop and queue');

# As EV::Kafka's examples use it: create a topic, then read offsets.
my $topic = unique('perlboot');
my ($res, $err) = wait_for(sub {
    $conn->create_topics([{ name => $topic, num_partitions => 1, replication_factor => 1 }], 10000, shift);
});
ok(!$err, 'create_topics through bootstrap_conn') or diag $err;
is($res->{topics}[0]{error_code}, 0, 'the topic was created');
my $failed = wait_for(sub {
    $kafka->produce_many([map { [$topic, "k$_", "v$_", { partition => 0 }] } 1 .. 5], shift);
});
ok(!$failed, 'the client produced 5 records to it') or diag explain $failed;
for my $case ([-1, 5, 'latest'], [-2, 0, 'earliest']) {
    my ($at, $want, $what) = @$case;
    ($res, $err) = wait_for(sub { $conn->list_offsets($topic, 0, $at, shift) });
    ok(!$err, "list_offsets $what") or diag $err;
    is($res->{topics}[0]{partitions}[0]{offset}, $want, "the $what offset is $want");
}

# It is an EV::Kafka::Conn like any other: the rest of its API works.
my $versions = $conn->api_versions;
ok($versions && defined $versions->{1}, 'api_versions lists Fetch');
($res, $err) = wait_for(sub { $conn->metadata([$topic], shift) });
is($res->{topics}[0]{name}, $topic, 'metadata') or diag $err;
($res, $err) = wait_for(sub { $conn->fetch($topic, 0, 0, shift) });
is(scalar @{ $res->{topics}[0]{partitions}[0]{records} // [] }, 5, 'fetch returns the 5 records') or diag $err;
($res, $err) = wait_for(sub { $conn->produce($topic, 0, 'k6', 'v6', shift) });
is($res->{topics}[0]{partitions}[0]{base_offset}, 5, 'produce appends the sixth') or diag $err;
($res, $err) = retry_codes(sub { $conn->find_coordinator(unique('perlboot-group'), shift) }, 15);
is($res->{error_code}, 0, 'find_coordinator') or diag $err;
is($conn->pending, 0, 'nothing pending once every callback ran');

# A second connect: its callback runs, on_connect does not (once), and
# bootstrap_conn is the same connection.
@order = ();
my ($meta2, $conn2, $connected2) = connect_client($kafka, \@order);
is_deeply(\@order, ['connect callback'], 'connecting again: the callback runs, on_connect does not');
ok($connected2 && $conn2 == $conn, 'bootstrap_conn is the same, still connected');

# close: a request pending on it gets its callback (the library queues
# it apart from close's, so either may come first); bootstrap_conn is then
# gone from cfg, disconnected, and EV::run returns by itself.
my @got;
$conn->fetch($topic, 0, 6, { max_wait_ms => 20000, min_bytes => 1 << 30 },
    sub { push @got, 'fetch: ' . ($_[1] // 'answered') });
$kafka->close(sub { push @got, 'closed' });
ok(returns_alone(), 'EV::run returns after close');
is_deeply([sort @got], ['closed', 'fetch: disconnected'], 'the pending request was told, and close\'s callback ran');
ok(!defined $kafka->{cfg}{bootstrap_conn}, 'close takes bootstrap_conn out of cfg');
ok(!$conn->connected, 'and disconnects it');
is_deeply(\@errors, [], 'no error on the way');
undef $conn;
undef $conn2;

# Freeing a connected client disconnects its bootstrap connection.
{
    my $held;
    my $freed = EV::Kafka->new(brokers => "$host:$port");
    $freed->connect(sub {
        $held = $freed->{cfg}{bootstrap_conn};
        my $t;
        $t = EV::timer(0, 0, sub { undef $t; undef $freed });
        $t->keepalive(0);
    });
    ok(returns_alone(), 'EV::run returns once a connected client is freed');
    ok($held && !$held->connected, 'its bootstrap_conn is disconnected');
}

# A client that cannot connect: on_error once, no callback, nothing left.
{
    my $refused = free_port();
    my @got;
    my $failing = EV::Kafka->new(brokers => "127.0.0.1:$refused", on_error => sub { push @got, 'error' },
        on_connect => sub { push @got, 'on_connect' });
    $failing->connect(sub { push @got, 'connected' });
    ok(returns_alone(), 'EV::run returns after a client fails to connect');
    is_deeply(\@got, ['error'], 'on_error told of it once');
    ok(!defined $failing->{cfg}{bootstrap_conn}, 'and there is no bootstrap_conn');
}

# The first bootstrap broker refusing: the next one is tried.
{
    my $refused = free_port();
    my $kafka = EV::Kafka->new(brokers => "127.0.0.1:$refused,$host:$port", on_error => sub { });
    my (undef, $conn, $connected) = connect_client($kafka, []);
    ok($connected, 'bootstrap_conn connected to the second broker listed');
    ($res) = wait_for(sub { $conn->metadata(undef, shift) });
    ok($res && @{ $res->{brokers} }, 'and answers');
    wait_for(sub { $kafka->close(shift) });
}

# Another loop: the connection is on it too.
{
    my $loop = EV::Loop->new;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", loop => $loop, on_error => sub { fail("error: @_") });
    my $connected;
    $kafka->connect(sub { $connected = $kafka->{cfg}{bootstrap_conn}->connected; $loop->break });
    my $limit = $loop->timer(20, 0, sub { $loop->break });
    $loop->run;
    ok($connected, 'with loop => another loop, bootstrap_conn is connected in connect\'s callback');
    is($kafka->{cfg}{bootstrap_conn}{queue}{loop}, $loop, 'on that loop');
    my $closed;
    $kafka->close(sub { $closed = 1; $loop->break });
    $loop->run unless $closed;
}

# The client's SASL settings are the connection's.
SKIP: {
    skip 'no SASL listener (KFK_TEST_SASL_BROKERS)', 2 unless $ENV{KFK_TEST_SASL_BROKERS};
    my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_SASL_BROKERS}, on_error => sub { diag "on_error: @_" },
        sasl => { mechanism => 'PLAIN', username => $ENV{KFK_TEST_PLAIN_USER}, password => $ENV{KFK_TEST_PLAIN_PASS} });
    my (undef, $conn, $connected) = connect_client($kafka, []);
    ok($connected, 'SASL/PLAIN: bootstrap_conn authenticated as the client');
    ($res) = wait_for(sub { $conn->metadata(undef, shift) });
    ok($res && @{ $res->{brokers} }, 'and answers');
    wait_for(sub { $kafka->close(shift) });
}

# OIDC tokens are the client's own: no bootstrap_conn, connect goes on.
SKIP: {
    skip 'no OIDC listener (KFK_TEST_OIDC_BROKERS)', 2 unless $ENV{KFK_TEST_OIDC_BROKERS};
    my $kafka = EV::Kafka->new(brokers => $ENV{KFK_TEST_OIDC_BROKERS}, on_error => sub { diag "on_error: @_" },
        sasl => { mechanism => 'OAUTHBEARER', method => 'oidc', token_endpoint_url => $ENV{KFK_TEST_OIDC_TOKEN_URL},
            client_id => $ENV{KFK_TEST_OIDC_CLIENT_ID}, client_secret => $ENV{KFK_TEST_OIDC_CLIENT_SECRET},
            scope => 'kafka' });
    my ($meta, $conn) = connect_client($kafka, []);
    ok($meta, 'OIDC: connect\'s callback runs');
    ok(!defined $conn, 'without a bootstrap_conn');
    wait_for(sub { $kafka->close(shift) });
}

done_testing;
