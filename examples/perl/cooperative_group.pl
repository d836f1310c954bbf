#!/usr/bin/env perl
# Two members of one consumer group with cooperative-sticky (KIP-429): the
# first owns all six partitions of KAFKA_TOPIC; when the second joins, the
# first gives up only the three that move (on_revoke lists just those) and
# keeps reading the others, and the second is assigned those three.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=coop perl -Ibindings/perl/lib cooperative_group.pl
use strict;
use warnings;
use EV;
use EV::Kafka;

my $broker = $ENV{KAFKA_BROKER} // '127.0.0.1:9092';
my $topic  = $ENV{KAFKA_TOPIC}  // 'coop';
my $group  = "$topic-group";

sub member {
    my ($name, $owned) = @_;
    my $kafka = EV::Kafka->new(brokers => $broker, on_error => sub { die "kafka: @_\n" }, on_message => sub { });
    $kafka->connect(sub {
        $kafka->subscribe($topic,
            group_id                      => $group,
            partition_assignment_strategy => 'cooperative-sticky',
            on_assign => sub {
                $owned->{ $_->{partition} } = 1 for @{ $_[0] };
                print "$name assigned ", join(',', sort map { $_->{partition} } @{ $_[0] }), "\n";
            },
            on_revoke => sub {
                delete $owned->{ $_->{partition} } for @{ $_[0] };
                print "$name revoked ", join(',', sort map { $_->{partition} } @{ $_[0] }), "\n";
            },
        );
    });
    return $kafka;
}

# Runs the loop until $done says so (or 30 s pass).
sub until_done {
    my ($done) = @_;
    my $check = EV::timer(0.1, 0.1, sub { EV::break if $done->() });
    my $limit = EV::timer(30, 0, sub { die "the group did not settle\n" });
    EV::run;
}

my $admin = EV::Kafka->new(brokers => $broker, on_error => sub { die "kafka: @_\n" });
$admin->connect(sub {
    $admin->create_topics([{ name => $topic, num_partitions => 6, replication_factor => 1 }], 10000, sub { EV::break });
});
EV::run;

my (%first, %second);
my $one = member(first => \%first);
until_done(sub { keys %first == 6 });
my $two = member(second => \%second);
until_done(sub { keys %first == 3 && keys %second == 3 });
print 'first keeps ', join(',', sort keys %first), ' - second has ', join(',', sort keys %second), "\n";
$_->close(sub { EV::break }), EV::run for $two, $one;
