#!/usr/bin/env perl
# The QUICK START of EV::Kafka's documentation, unchanged but for the
# broker address (KAFKA_BROKER) and stopping after the first message.
use strict;
use warnings;
use EV;
use EV::Kafka;

my $broker = $ENV{KAFKA_BROKER} // '127.0.0.1:9092';
my $topic  = $ENV{KAFKA_TOPIC}  // 'test';

my $kafka = EV::Kafka->new(
    brokers    => $broker,
    acks       => 1,
    on_error   => sub { warn "kafka: @_\n" },
    on_message => sub {
        my ($topic, $part, $offset, $key, $value) = @_;
        print "got: $key=$value\n";
        EV::break;
    },
);

$kafka->connect(sub {
    # produce
    $kafka->produce($topic, 'k1', 'hello', sub {
        print "produced\n";

        # consume from the beginning
        $kafka->assign([{topic=>$topic, partition=>0, offset=>0}]);
        $kafka->seek($topic, 0, -2, sub {
            my $t = EV::timer 0, 0.1, sub { $kafka->poll };
            $kafka->{cfg}{_t} = $t;
        });
    });
});

EV::run;
