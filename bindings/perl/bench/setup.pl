# What bench/benchmark.pl and bench/latency.pl share: the BENCH_* settings
# and a connection to a broker on which the topic has a leader.
use strict;
use warnings;
use EV;
use EV::Kafka;

# ($host, $port, $count, $value_size, $topic) from the BENCH_* variables.
sub bench_settings {
    my ($host, $port) = split /:/, ($ENV{BENCH_BROKER} // '127.0.0.1:9092');
    return ($host, $port, $ENV{BENCH_MESSAGES} // 20000, $ENV{BENCH_VALUE_SIZE} // 100,
        $ENV{BENCH_TOPIC} // 'kfk-bench');
}

# A connected EV::Kafka::Conn, once $topic has a leader (metadata
# auto-creates it where the broker allows).
sub bench_conn {
    my ($host, $port, $topic) = @_;
    my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
    $conn->on_error(sub { die "kafka: @_\n" });
    $conn->on_connect(sub { EV::break });
    $conn->connect($host, $port, 5.0);
    EV::run;
    for (1 .. 100) {
        my $ready;
        $conn->metadata([$topic], sub {
            my $t = $_[0]{topics}[0];
            $ready = $t && !$t->{error_code} && @{ $t->{partitions} } && $t->{partitions}[0]{leader} >= 0;
            EV::break;
        });
        EV::run;
        return $conn if $ready;
        select undef, undef, undef, 0.1;
    }
    die "topic $topic has no leader\n";
}

1;
