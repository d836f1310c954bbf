#!/usr/bin/env perl
# A share group member (KIP-932): reads TOPIC together with the group's
# other members, accepts each record it is handed and prints it as
# partition:offset, until it has accepted --count records or 10 s pass
# without one; then sends its acknowledgements and leaves. Start several
# to see the records divided among them. (A new share group starts at the
# latest record: set the group's share.auto.offset.reset to read older ones.)
#
#   perl -Ibindings/perl/lib examples/perl/share_consumer.pl 127.0.0.1:9092 jobs workers --count 100
use strict;
use warnings;
use EV;
use EV::Kafka;
use Getopt::Long;

use constant IDLE_SECONDS => 10;

my $count = 0;    # 0: no limit
GetOptions('count=i' => \$count) && @ARGV == 3
    or die "usage: $0 BROKERS TOPIC GROUP [--count N]\n";
my ($brokers, $topic, $group) = @ARGV;

my $accepted = 0;
my $idle;
my $kafka = EV::Kafka->new(brokers => $brokers, on_error => sub { die "kafka: @_\n" });
$kafka->connect(sub {
    $kafka->share_subscribe($topic,
        group_id             => $group,
        acknowledgement_mode => 'explicit',
        on_record            => sub {
            my ($record) = @_;
            return if $count && $accepted >= $count;    # left for the group's other members
            $kafka->share_acknowledge($record, 'accept');
            print "$record->{partition}:$record->{offset}\n";
            $idle->again;
            EV::break if $count && ++$accepted == $count;
        },
    );
});
$idle = EV::timer(IDLE_SECONDS, IDLE_SECONDS, sub { EV::break });
EV::run;

# share_unsubscribe sends the acceptances and releases what was handed
# over but not accepted.
$kafka->share_unsubscribe(sub { EV::break });
EV::run;
