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

# Runs EV::run alone: true when it returned by itself (no client or
# connection had work left), false when the guard (a timer that does not
# keep the loop alive) had to stop it.
sub returns_alone {
    my $stuck;
    my $guard = EV::timer(30, 0, sub { $stuck = 1; EV::break });
    $guard->keepalive(0);
    EV::run;
    return !$stuck;
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

# Creates a topic (with the topic configs in the optional hash $config) and
# waits until its partitions serve requests.
sub create_topic {
    my ($conn, $partitions, $config) = @_;
    my $name = unique('perltest');
    my ($res, $err) = wait_for(sub {
        my $done = shift;
        $conn->create_topics([{ name => $name, num_partitions => $partitions // 1, replication_factor => 1,
            $config ? (config => $config) : () }], 10000, $done);
    });
    die "create_topics: $err" if $err;
    die "create_topics: error $res->{topics}[0]{error_code}" if $res->{topics}[0]{error_code};
    for my $partition (0 .. ($partitions // 1) - 1) {  # until each new leader serves fetches
        for (1 .. 200) {
            my ($f) = wait_for(sub { $conn->fetch($name, $partition, 0, { max_wait_ms => 0 }, shift) });
            last if $f && $f->{topics}[0]{partitions}[0]{error_code} == 0;
            select undef, undef, undef, 0.1;
        }
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

# Sets share.auto.offset.reset=earliest for the share group $group (a new
# share group starts at the latest record): an IncrementalAlterConfigs v0
# request for a GROUP resource on $conn, encoded here since EV::Kafka has
# no call for group configs; kfk_conn_raw_request is declared here for it.
use constant { INCREMENTAL_ALTER_CONFIGS => 44, GROUP_RESOURCE => 32, CONFIG_SET => 0 };

sub share_group_from_earliest {
    my ($conn, $group) = @_;
    require FFI::Platypus;
    my $raw = FFI::Platypus->new(api => 2, lib => [Kfk::FFI::library_path()])
        ->function(kfk_conn_raw_request => ['opaque', 'sint16', 'sint16', 'string', 'size_t', 'opaque', 'opaque']
            => 'sint32');
    my $body = pack('N C n/a* N n/a* C n/a* C', 1, GROUP_RESOURCE, $group, 1, 'share.auto.offset.reset',
        CONFIG_SET, 'earliest', 0);
    my ($res, $err) = wait_for(sub {
        my $tag = $conn->{queue}->register_request(shift);
        my $rc = $raw->call($conn->{h}, INCREMENTAL_ALTER_CONFIGS, 0, $body, length $body, undef, $tag);
        die "kfk_conn_raw_request: $rc" if $rc;
    });
    die "share.auto.offset.reset for $group: $err" if $err;
    # throttle_time_ms (4 bytes), the resource count (4), then its error code
    my $code = unpack('x8 n', $res->{body});
    die "share.auto.offset.reset for $group: error $code" if $code;
}

1;
