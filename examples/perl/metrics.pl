#!/usr/bin/env perl
# A live one-line summary from kfk's statistics: one EV::Kafka client
# produces and consumes (as a group member) for a few seconds, and each
# statistics document becomes a line with the produce and consume rates,
# the lag and the broker round trip.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-metrics SECONDS=10 perl -Ibindings/perl/lib metrics.pl
use strict;
use warnings;
use EV;
use EV::Kafka;
use List::Util qw(max sum0);

my $broker  = $ENV{KAFKA_BROKER} // '127.0.0.1:9092';
my $topic   = $ENV{KAFKA_TOPIC}  // 'kfk-metrics';
my $seconds = $ENV{SECONDS}      // 5;
my ($previous, $count);

sub summary {
    my ($stats) = @_;
    if ($previous) {
        my $dt       = ($stats->{ts_ms} - $previous->{ts_ms}) / 1000;
        my $produced = ($stats->{msgs_produced} - $previous->{msgs_produced}) / $dt;
        my $consumed = ($stats->{msgs_consumed} - $previous->{msgs_consumed}) / $dt;
        my $lag      = sum0 map { max($_->{consumer_lag}, 0) } map { values %{ $_->{partitions} } } values %{ $stats->{topics} };
        my $p99      = max(0, map { $_->{rtt_us}{p99} } values %{ $stats->{brokers} });
        printf "produced %9.0f msg/s  consumed %9.0f msg/s  lag %6d  queue %6d  rtt p99 %.1f ms\n",
            $produced, $consumed, $lag, $stats->{queue_msgs}, $p99 / 1000;
    }
    $previous = $stats;
}

$| = 1;
my $kafka = EV::Kafka->new(
    brokers                => $broker,
    linger_ms              => 5,
    statistics_interval_ms => 1000,
    on_stats               => \&summary,
    on_error               => sub { warn "kafka: @_\n" },
    on_message             => sub { },
);
my $producing;
$kafka->connect(sub {
    $kafka->subscribe($topic, group_id => "$topic-metrics", auto_offset_reset => 'earliest');
    $producing = EV::timer(0, 0.01, sub { $kafka->produce($topic, undef, 'reading ' . $count++) for 1 .. 200 });
});
my $stop = EV::timer($seconds, 0, sub {
    undef $producing;
    $kafka->close(sub { EV::break });
});
EV::run;
print "produced $count records in $seconds s\n";
