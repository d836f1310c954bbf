#!/usr/bin/env perl
# Throughput of EV::Kafka (over libkfk) against one broker, in the shape of
# EV::Kafka's BENCHMARKS section:
#
#   pipelined produce (acks=1), fire-and-forget (acks=0), sequential
#   round-trips, metadata requests, then pipelined produce by value size.
#
# BENCH_BROKER (127.0.0.1:9092), BENCH_MESSAGES (20000),
# BENCH_VALUE_SIZE (100) and BENCH_TOPIC (kfk-bench) customize it.
#
# The first lines use one EV::Kafka::Conn and one record per request, as
# EV::Kafka's own benchmark did. Apache Kafka answers a connection's
# requests one at a time, so there acks=1 pipelining is bounded by the
# round-trip time (Redpanda, which EV::Kafka measured, overlaps them). The
# "Client produce" line is the cluster client, which batches records per
# partition: the throughput an application sees.
use strict;
use warnings;
use EV;
use EV::Kafka;
use Kfk::FFI;
use Time::HiRes qw(time);
use FindBin;
require "$FindBin::Bin/setup.pl";

my ($host, $port, $count, $size, $topic) = bench_settings();
my $conn = bench_conn($host, $port, $topic);

sub report {
    my ($name, $n, $bytes, $secs, $extra) = @_;
    my $line = sprintf "%-28s %8.0f msg/sec", $name, $n / $secs;
    $line .= sprintf "  %8.1f MB/s", $bytes / $secs / 1e6 if $bytes;
    $line .= "  $extra" if $extra;
    print "$line\n";
}

# Pipelined: every request sent at once, callbacks counted as they return.
sub pipelined {
    my ($acks, $value) = @_;
    my ($left, $failed) = ($count, 0);
    my $t0 = time;
    for (1 .. $count) {
        $conn->produce($topic, 0, undef, $value, { acks => $acks }, sub {
            $failed++ if $_[1];
            EV::break if --$left == 0;
        });
    }
    EV::run if $left;
    die "$failed produce requests failed\n" if $failed;
    return time - $t0;
}

my $value = 'x' x $size;
printf "EV::Kafka over libkfk %s, broker %s:%d, %d messages, %d-byte values\n",
    Kfk::FFI::kfk_version_str(), $host, $port, $count, $size;
report('Pipeline produce (acks=1)', $count, $count * $size, pipelined(1, $value));

# acks=0: no responses, so the callback fires once written.
report('Fire-and-forget (acks=0)', $count, $count * $size, pipelined(0, $value));

{
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, linger_ms => 5,
        on_error => sub { die "kafka: @_\n" });
    $kafka->connect(sub { EV::break });
    EV::run;
    my ($left, $failed) = ($count, 0);
    my $t0 = time;
    for (1 .. $count) {
        $kafka->produce($topic, undef, $value, { partition => 0 }, sub {
            $failed++ if $_[1];
            EV::break if --$left == 0;
        });
    }
    EV::run if $left;
    die "$failed records failed\n" if $failed;
    report('Client produce (acks=1)', $count, $count * $size, time - $t0);
    $kafka->close(sub { EV::break });
    EV::run;
}

my $t0 = time;
for (1 .. $count) {
    $conn->produce($topic, 0, undef, $value, sub { EV::break });
    EV::run;
}
my $secs = time - $t0;
report('Sequential round-trip', $count, 0, $secs, sprintf('%.0f us avg latency', $secs / $count * 1e6));

$t0 = time;
for (1 .. $count) {
    $conn->metadata([$topic], sub { EV::break });
    EV::run;
}
$secs = time - $t0;
report('Metadata request', $count, 0, $secs, sprintf('%.0f us avg latency', $secs / $count * 1e6));

print "\nThroughput by value size (pipelined, acks=1):\n";
for my $bytes (10, 100, 1000, 10000) {
    my $s = pipelined(1, 'x' x $bytes);
    printf "  %6d bytes  %8.0f msg/sec  %8.1f MB/s\n", $bytes, $count / $s, $count * $bytes / $s / 1e6;
}
$conn->disconnect;
