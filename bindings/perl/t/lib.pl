# Shared helpers for the EV::Kafka tests: the broker from KFK_TEST_BROKERS,
# and wait_for(), which runs the EV loop until a callback says it is done.
use strict;
use warnings;
use EV;
use Test::More;

sub broker {
    my $list = $ENV{KFK_TEST_BROKERS} or plan skip_all => 'KFK_TEST_BROKERS is not set (use make test)';
    my ($first) = split /,/, $list;
    my ($host, $port) = $first =~ /^(.*):(\d+)$/;
    return ($host, $port);
}

# wait_for(sub { my $done = shift; ... $done->(@result) }) runs EV until
# $done is called (or 30 s pass) and returns what was passed to it.
sub wait_for {
    my ($start, $timeout) = @_;
    my @result;
    my $finished;
    my $t = EV::timer($timeout // 30, 0, sub { EV::break });
    $start->(sub { @result = @_; $finished = 1; EV::break });
    EV::run unless $finished;
    fail('timed out waiting for a callback') unless $finished;
    return wantarray ? @result : $result[0];
}

sub unique { sprintf '%s-%d-%d-%d', $_[0], $$, time, int rand 1e6 }

# A connected EV::Kafka::Conn.
sub connected_conn {
    my ($host, $port) = broker();
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    my $ok = wait_for(sub {
        my $done = shift;
        $conn->on_error(sub { diag "connect error: @_"; $done->(0) });
        $conn->on_connect(sub { $done->(1) });
        $conn->connect($host, $port, 5.0);
    });
    BAIL_OUT('cannot connect to the test broker') unless $ok;
    return $conn;
}

# Creates a topic and waits until its partitions serve requests.
sub create_topic {
    my ($conn, $partitions) = @_;
    my $name = unique('perltest');
    my ($res, $err) = wait_for(sub {
        my $done = shift;
        $conn->create_topics([{ name => $name, num_partitions => $partitions // 1, replication_factor => 1 }],
            10000, $done);
    });
    die "create_topics: $err" if $err;
    die "create_topics: error $res->{topics}[0]{error_code}" if $res->{topics}[0]{error_code};
    for (1 .. 200) {
        my ($f) = wait_for(sub { $conn->fetch($name, 0, 0, { max_wait_ms => 0 }, shift) });
        last if $f && $f->{topics}[0]{partitions}[0]{error_code} == 0;
        select undef, undef, undef, 0.1;
    }
    return $name;
}

# Repeats $call until its result's error_code is not one of @codes.
sub retry_codes {
    my ($call, @codes) = @_;
    my %retry = map { $_ => 1 } @codes;
    for (1 .. 300) {
        my ($res, $err) = wait_for($call);
        return ($res, $err) if $err || !$retry{ $res->{error_code} // 0 };
        select undef, undef, undef, 0.1;
    }
    return;
}

1;
