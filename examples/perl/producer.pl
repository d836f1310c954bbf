#!/usr/bin/env perl
# Fire-and-forget: KAFKA_COUNT messages with acks=0 (no callbacks, no
# waiting for brokers), then one with acks=1, whose report gives its offset.
# (The broker serves each connection in turn, so that offset need not be
# after every fire-and-forget message.)
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=test KAFKA_COUNT=100000 perl -Ibindings/perl/lib producer.pl
use strict;
use warnings;
use EV;
use EV::Kafka;
use Time::HiRes qw(time);

my $broker = $ENV{KAFKA_BROKER} // '127.0.0.1:9092';
my $topic  = $ENV{KAFKA_TOPIC}  // 'test';
my $count  = $ENV{KAFKA_COUNT}  // 100_000;

my $fast = EV::Kafka->new(brokers => $broker, acks => 0, on_error => sub { die "kafka: @_\n" });
my $sure = EV::Kafka->new(brokers => $broker, acks => 1, on_error => sub { die "kafka: @_\n" });
my $t0 = time;
$fast->connect(sub {
    $fast->produce($topic, "key-$_", "message $_") for 1 .. $count;
    $fast->flush(sub {
        my $secs = time - $t0;
        printf "sent %d messages in %.2f s (%.0f msg/s)\n", $count, $secs, $count / $secs;
        $sure->connect(sub {
            $sure->produce($topic, 'end', 'last one', sub {
                my ($result, $err) = @_;
                die "kafka: $err\n" if $err;
                my $p = $result->{topics}[0]{partitions}[0];
                print "an acknowledged message is at $topic/$p->{partition}\@$p->{base_offset}\n";
                EV::break;
            });
        });
    });
});
EV::run;
