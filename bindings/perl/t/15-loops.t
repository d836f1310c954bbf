# The loop option and AnyEvent: callbacks run from the loop a client or
# connection was made for (EV's default loop unless `loop` names another),
# and an AnyEvent program on the EV backend gets them through its condvars.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $setup = connected_conn();
my $topic = create_topic($setup, 1);

# Runs $loop until $done is called (or 20 s pass); returns what it got.
sub run_loop {
    my ($loop, $start) = @_;
    my (@got, $finished);
    my $guard = $loop->timer(20, 0, sub { $loop->break });
    $start->(sub { @got = @_; $finished = 1; $loop->break });
    $loop->run unless $finished;
    ok $finished, 'the callback ran from its own loop' or return;
    return @got;
}

subtest 'a client on another loop' => sub {
    my $loop = EV::Loop->new;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, loop => $loop,
        on_error => sub { fail("client error: @_") });
    # The default loop does not carry this client's events: connecting and
    # running only EV's default loop for a while delivers nothing.
    my $connected;
    $kafka->connect(sub { $connected = 1; $loop->break });
    my $t = EV::timer(0.5, 0, sub { EV::break });
    EV::run;
    ok !$connected, 'nothing arrives through the default loop';
    my $limit = $loop->timer(20, 0, sub { $loop->break });
    $loop->run unless $connected;
    ok $connected, 'connect completed once the client\'s loop ran';
    my ($res, $err) = run_loop($loop, sub { $kafka->produce($topic, 'k', 'on-loop', { partition => 0 }, shift) });
    ok !$err, 'produce reported through the other loop' or diag $err;
    is $res->{topics}[0]{partitions}[0]{error_code}, 0, 'and the record was stored';
    run_loop($loop, sub { $kafka->close(shift) });
};

subtest 'a Conn on another loop' => sub {
    my $loop = EV::Loop->new;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', $loop);
    $conn->on_error(sub { fail("conn error: @_") });
    run_loop($loop, sub { my $done = shift; $conn->on_connect(sub { $done->(1) }); $conn->connect($host, $port, 5.0) });
    ok $conn->connected, 'connected';
    my ($md, $err) = run_loop($loop, sub { $conn->metadata([$topic], shift) });
    is $md->{topics}[0]{name}, $topic, 'metadata through the other loop';
    $conn->disconnect;
};

subtest 'AnyEvent on the EV backend' => sub {
    plan skip_all => 'AnyEvent is not installed' unless eval { require AnyEvent; 1 };
    is AnyEvent::detect(), 'AnyEvent::Impl::EV', 'AnyEvent runs on EV';
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, on_error => sub { fail("client error: @_") });
    my $cv = AnyEvent->condvar;
    my $timeout = AnyEvent->timer(after => 20, cb => sub { $cv->send(undef, 'timed out') });
    $kafka->connect(sub {
        $kafka->produce($topic, 'k', 'via-anyevent', { partition => 0 }, sub { $cv->send(@_) });
    });
    my ($res, $err) = $cv->recv;
    ok !$err, 'produce completed through a condvar' or diag $err;
    my $offset = $res->{topics}[0]{partitions}[0]{base_offset};
    my $got = AnyEvent->condvar;
    my $kafka2 = EV::Kafka->new(brokers => "$host:$port", on_error => sub { fail("consumer error: @_") },
        on_message => sub { my (undef, undef, $off, undef, $value) = @_; $got->send($value) if $off == $offset });
    my $poll;
    $kafka2->connect(sub {
        $kafka2->assign([{ topic => $topic, partition => 0, offset => $offset }]);
        $poll = AnyEvent->timer(after => 0, interval => 0.1, cb => sub { $kafka2->poll });
    });
    my $stop = AnyEvent->timer(after => 20, cb => sub { $got->send('timed out') });
    is $got->recv, 'via-anyevent', 'on_message ran under AnyEvent';
    undef $poll;
    my $closed = AnyEvent->condvar;
    $kafka->close(sub { $kafka2->close(sub { $closed->send }) });
    $closed->recv;
};

done_testing;
