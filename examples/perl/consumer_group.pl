#!/usr/bin/env perl
# A consumer group member: joins KAFKA_GROUP_ID, prints KAFKA_LIMIT
# messages of KAFKA_TOPIC (from the earliest offset when the group is new),
# commits and leaves.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=test KAFKA_GROUP_ID=readers KAFKA_LIMIT=10 perl -Ibindings/perl/lib consumer_group.pl
use strict;
use warnings;
use EV;
use EV::Kafka;

my $broker = $ENV{KAFKA_BROKER}   // '127.0.0.1:9092';
my $topic  = $ENV{KAFKA_TOPIC}    // 'test';
my $group  = $ENV{KAFKA_GROUP_ID} // 'ev-kafka-example';
my $limit  = $ENV{KAFKA_LIMIT}    // 10;

my $seen = 0;
my $kafka;
$kafka = EV::Kafka->new(
    brokers    => $broker,
    on_error   => sub { die "kafka: @_\n" },
    on_message => sub {
        my ($topic, $partition, $offset, $key, $value) = @_;
        return if $seen >= $limit;
        printf "%s:%d@%d %s = %s\n", $topic, $partition, $offset, $key // '(null)', $value // '(null)';
        $kafka->commit(sub { EV::break }) if ++$seen == $limit;
    },
);
$kafka->connect(sub {
    $kafka->subscribe($topic,
        group_id          => $group,
        auto_offset_reset => 'earliest',
        on_assign         => sub { print 'assigned: ', join(' ', map { "$_->{topic}:$_->{partition}" } @{ $_[0] }), "\n" },
    );
});
EV::run;
$kafka->unsubscribe(sub { EV::break });
EV::run;
print "read $seen messages as $group\n";
