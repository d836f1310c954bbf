# EV::run returns by itself once no EV::Kafka object has work left, as with
# the XS module: after disconnect or close, a failed connect, or once the
# objects are freed. Until then the loop stays alive: while a client or
# connection is connected (idle or not) and while a callback is still to
# come, which is delivered first. Each case runs EV::run with nothing else
# to wait for; the one after it shows that new objects work again.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use IO::Socket::INET;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $topic = do {
    my $setup = connected_conn();
    my $name = create_topic($setup, 1);
    $setup->disconnect;
    $name;
};

# Calls $cb after $after seconds if the loop is still running: a timer
# that does not keep it alive, so it fires only if something else does.
sub while_alive {
    my ($after, $cb) = @_;
    my $t;
    $t = EV::timer($after, 0, sub { undef $t; $cb->() });
    $t->keepalive(0);
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die "listen: $!";
    return $s->sockport;
}

{
    my $kafka = EV::Kafka->new(brokers => "$host:$port");
    ok(returns_alone(), 'a client never connected keeps nothing alive');
}
{
    { my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef) }
    ok(returns_alone(), 'nor does a connection freed unused');
}

# Conn: connect, idle, a request, then disconnect with a request pending,
# which gets its "disconnected" before EV::run returns.
{
    my @got;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    $conn->on_error(sub { push @got, "error @_" });
    $conn->on_connect(sub {
        push @got, 'connected';
        while_alive(0.3, sub {
            push @got, 'idle';
            $conn->metadata(undef, sub {
                push @got, $_[1] ? "metadata: $_[1]" : 'metadata';
                # held by the broker: more bytes than will come, for 30 s
                $conn->fetch($topic, 0, 0, { max_wait_ms => 30000, min_bytes => 1 << 30 },
                    sub { push @got, 'fetch: ' . ($_[1] // 'answered') });
                $conn->disconnect;
            });
        });
    });
    $conn->connect($host, $port, 5.0);
    ok(returns_alone(), 'EV::run returns after disconnect');
    is_deeply(\@got, ['connected', 'idle', 'metadata', 'fetch: disconnected'],
        'the loop stayed alive while connected and idle, and the pending request got its error');
}

# Client: connect, idle, produce, close.
{
    my @got;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { push @got, "error @_" });
    $kafka->connect(sub {
        push @got, 'connected';
        while_alive(0.3, sub {
            push @got, 'idle';
            $kafka->produce($topic, 'k', 'v', sub {
                push @got, $_[1] ? "produce: $_[1]" : 'produced';
                $kafka->close(sub { push @got, 'closed' });
            });
        });
    });
    ok(returns_alone(), 'EV::run returns after close');
    is_deeply(\@got, [qw(connected idle produced closed)], 'connected and idle kept it alive; every callback ran');
}

# Objects freed while connected.
{
    my $done;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    $conn->on_connect(sub { while_alive(0.1, sub { undef $conn; $done = 1 }) });
    $conn->connect($host, $port, 5.0);
    ok(returns_alone() && $done, 'EV::run returns once a connected connection is freed');
    my $kafka = EV::Kafka->new(brokers => "$host:$port");
    $kafka->connect(sub { while_alive(0.1, sub { undef $kafka; $done = 2 }) });
    ok(returns_alone() && $done == 2, 'and once a connected client is freed');
}

# Connections that fail: once, or again and again with auto_reconnect
# (the loop stays alive while it retries) until disconnect.
{
    my $refused = free_port();
    my @errors;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    $conn->on_error(sub { push @errors, "@_" });
    $conn->connect('127.0.0.1', $refused, 2.0);
    ok(returns_alone(), 'EV::run returns after a failed connect');
    is(scalar @errors, 1, 'on_error told of it');
    @errors = ();
    $conn->auto_reconnect(1, 100);
    $conn->on_error(sub { push @errors, "@_"; $conn->disconnect if @errors == 3 });
    $conn->connect('127.0.0.1', $refused, 2.0);
    ok(returns_alone(), 'with auto_reconnect, EV::run returns once disconnect stops the retries');
    is(scalar @errors, 3, 'after three failed attempts');

    my @got;
    my $kafka = EV::Kafka->new(brokers => "127.0.0.1:$refused", on_error => sub { push @got, 'error' });
    $kafka->connect(sub { push @got, 'connected' });
    ok(returns_alone(), 'EV::run returns after a client fails to connect');
    is_deeply(\@got, ['error'], 'on_error told of it');
}

# A client's pending callbacks: a poll under way when close is called ends
# with it (no waiting for messages), as its callback is told.
{
    my @got;
    # a poll finding nothing ends after twice fetch_max_wait_ms and a second
    my $kafka = EV::Kafka->new(brokers => "$host:$port", on_error => sub { push @got, "error @_" },
        on_message => sub { }, fetch_max_wait_ms => 10000);
    $kafka->assign([{ topic => $topic, partition => 0, offset => 0 }]);
    $kafka->connect(sub {
        push @got, 'connected';
        $kafka->poll(sub {
            push @got, 'drained';
            $kafka->poll(sub { push @got, 'polled' });
            $kafka->close(sub { push @got, 'closed' });
        });
    });
    my $t0 = EV::time;
    ok(returns_alone(), 'EV::run returns after close with a poll under way');
    is_deeply(\@got, [qw(connected drained polled closed)], 'the poll called back, then close');
    cmp_ok(EV::time - $t0, '<', 15, 'without waiting for the poll to find nothing');
}

# A callback that dies (EV reports it) does not hold back the others.
{
    my (@got, @warned);
    local $SIG{__WARN__} = sub { push @warned, "@_" };
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, linger_ms => 100);
    $kafka->connect(sub {
        $kafka->produce($topic, 'a', '1', { partition => 0 }, sub { push @got, 'first'; die "dying in a callback\n" });
        $kafka->produce($topic, 'b', '2', { partition => 0 }, sub {
            push @got, 'second';
            $kafka->close(sub { push @got, 'closed' });
        });
    });
    ok(returns_alone(), 'EV::run returns after a callback died');
    is_deeply(\@got, [qw(first second closed)], 'the callbacks after it still ran');
    like("@warned", qr/dying in a callback/, 'and EV reported the error');
}

done_testing;
