#!/usr/bin/env perl
# The cluster client's throughput and CPU per record (issue #20): produce
# with a callback per record, produce_many, and consuming through
# on_message. Each line gives msgs/s and the process's user + system CPU
# (times(), libkfk's threads included) over the timed part, per record.
#
#   produce       COUNT x produce($topic, undef, $value, $cb), one shared
#                 callback; timed to the last callback.
#   produce_many  produce_many calls of BENCH_MANY_CHUNK (1000)
#                 [$topic, undef, $value] messages; timed to the last
#                 completion (the message arrays are built before).
#   consume       assign partition 0 from the earliest offset, poll rounds
#                 until COUNT messages reached on_message.
#
# The client has acks=1, linger_ms=5 and batch_size=1000000, as the C
# programs of bench/ (EV::Kafka's default batch_size, 16384, holds about
# 130 records of 100 B: the broker's answers then bound the rate).
#
# BENCH_BROKER (127.0.0.1:9092), BENCH_MESSAGES (200000),
# BENCH_VALUE_SIZE (100), BENCH_TOPIC (kfk-bench-tp), BENCH_RUNS (1),
# BENCH_BATCH_SIZE, BENCH_MANY_CHUNK and BENCH_ONLY (comma-separated
# produce,produce_many,consume) customize it.
# Prints one line per run: NAME msgs_per_s=N cpu_us_per_msg=N.
use strict;
use warnings;
use EV;
use EV::Kafka;
use Time::HiRes qw(time);
use FindBin;
require "$FindBin::Bin/setup.pl";

my ($host, $port, undef, $size, undef) = bench_settings();
my $count = $ENV{BENCH_MESSAGES} // 200_000;
my $topic = $ENV{BENCH_TOPIC} // 'kfk-bench-tp';
my $runs  = $ENV{BENCH_RUNS} // 1;
my $chunk = $ENV{BENCH_MANY_CHUNK} // 1000;
my $batch = $ENV{BENCH_BATCH_SIZE} // 1_000_000;    # as bench/c/kfk_bench.c
my %only  = map { $_ => 1 } split /,/, ($ENV{BENCH_ONLY} // 'produce,produce_many,consume');
bench_conn($host, $port, $topic)->disconnect;    # the topic exists and has a leader
my $value = 'x' x $size;

sub cpu { my @t = times; return $t[0] + $t[1] }

sub client {
    my (%opt) = @_;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", acks => 1, linger_ms => 5, batch_size => $batch,
        on_error => sub { die "kafka: @_\n" }, %opt);
    $kafka->connect(sub { EV::break });
    EV::run;
    return $kafka;
}

# Runs $start->($kafka) on a new client (with %opt), then the loop until
# it breaks; prints NAME msgs_per_s= cpu_us_per_msg= for $count->() records.
sub timed {
    my ($name, $start, $count_of, %opt) = @_;
    my $kafka = client(%opt);
    my ($t0, $c0) = (time, cpu());
    EV::run if $start->($kafka);
    my ($secs, $cpu, $n) = (time - $t0, cpu() - $c0, $count_of->());
    printf "%-13s msgs_per_s=%.0f cpu_us_per_msg=%.2f\n", $name, $n / $secs, $cpu / $n * 1e6;
    $kafka->close(sub { EV::break });
    EV::run;
}

sub bench_produce {
    my ($left, $failed) = ($count, 0);
    my $cb = sub { $failed++ if $_[1]; EV::break if --$left == 0 };
    timed(produce => sub {
        $_[0]->produce($topic, undef, $value, $cb) for 1 .. $count;
        return $left;
    }, sub { $count });
    die "$failed records failed\n" if $failed;
}

sub bench_produce_many {
    my @calls;
    for (my $i = 0; $i < $count; $i += $chunk) {
        my $n = $count - $i < $chunk ? $count - $i : $chunk;
        push @calls, [map { [$topic, undef, $value] } 1 .. $n];
    }
    my ($left, $failed) = (scalar @calls, 0);
    my $cb = sub { $failed += @{ $_[0] } if $_[0]; EV::break if --$left == 0 };
    timed(produce_many => sub {
        $_[0]->produce_many($_, $cb) for @calls;
        return $left;
    }, sub { $count });
    die "$failed records failed\n" if $failed;
}

sub bench_consume {
    my $got = 0;
    my $round;
    timed(consume => sub {
        my ($kafka) = @_;
        $kafka->assign([{ topic => $topic, partition => 0, offset => -2 }]);
        $round = sub { $got >= $count ? EV::break : $kafka->poll($round) };
        $kafka->poll($round);
        return 1;
    }, sub { undef $round; $got }, on_message => sub { $got++ });
}

printf "EV::Kafka over libkfk %s, broker %s:%d, topic %s, %d messages, %d-byte values\n",
    Kfk::FFI::kfk_version_str(), $host, $port, $topic, $count, $size;
for (1 .. $runs) {
    bench_produce() if $only{produce};
    bench_produce_many() if $only{produce_many};
    bench_consume() if $only{consume};
}
