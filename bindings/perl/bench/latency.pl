#!/usr/bin/env perl
# Round-trip latency of EV::Kafka (over libkfk): one produce (acks=1), wait
# for its answer, repeat; prints min, avg, median, p90, p95, p99 and max.
#
# BENCH_BROKER (127.0.0.1:9092), BENCH_MESSAGES (20000),
# BENCH_VALUE_SIZE (100) and BENCH_TOPIC (kfk-bench) customize it.
use strict;
use warnings;
use EV;
use EV::Kafka;
use Time::HiRes qw(time);
use FindBin;
require "$FindBin::Bin/setup.pl";

my ($host, $port, $count, $size, $topic) = bench_settings();
my $conn = bench_conn($host, $port, $topic);
my $value = 'x' x $size;
# One warm-up round-trip.
$conn->produce($topic, 0, undef, $value, sub { EV::break });
EV::run;

my @us;
for (1 .. $count) {
    my $t0 = time;
    my $err;
    $conn->produce($topic, 0, undef, $value, sub { $err = $_[1]; EV::break });
    EV::run;
    die "produce: $err\n" if $err;
    push @us, (time - $t0) * 1e6;
}
@us = sort { $a <=> $b } @us;
my $sum = 0;
$sum += $_ for @us;
my $at = sub { $us[ int($_[0] * $#us + 0.5) ] };
printf "%d round-trips, acks=1, %d-byte values, broker %s:%d\n", $count, $size, $host, $port;
printf "min: %.0f us  avg: %.0f us  median: %.0f us  p90: %.0f us  p95: %.0f us  p99: %.0f us  max: %.0f us\n",
    $us[0], $sum / @us, $at->(0.5), $at->(0.9), $at->(0.95), $at->(0.99), $us[-1];
