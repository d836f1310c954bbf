#!/usr/bin/env perl
# The low-level layer: one EV::Kafka::Conn to one broker (KAFKA_HOST,
# KAFKA_PORT), its metadata, a produce to partition 0 and a fetch of it.
#
#   KAFKA_HOST=127.0.0.1 KAFKA_PORT=9092 KAFKA_TOPIC=test perl -Ibindings/perl/lib conn.pl
use strict;
use warnings;
use EV;
use EV::Kafka;

my $host  = $ENV{KAFKA_HOST}  // '127.0.0.1';
my $port  = $ENV{KAFKA_PORT}  // 9092;
my $topic = $ENV{KAFKA_TOPIC} // 'test';

my $conn = EV::Kafka::Conn::_new('EV::Kafka::Conn', undef);
$conn->on_error(sub { die "conn: @_\n" });
$conn->on_connect(sub {
    my $versions = $conn->api_versions;
    printf "connected: the broker offers %d APIs\n", scalar keys %$versions;
    $conn->metadata([$topic], sub {
        my ($meta, $err) = @_;
        die "metadata: $err\n" if $err;
        printf "%d broker(s); %s has %d partition(s)\n", scalar @{ $meta->{brokers} }, $topic,
            scalar @{ $meta->{topics}[0]{partitions} };
        $conn->produce($topic, 0, 'hello', 'from the low-level layer', sub {
            my ($res, $err) = @_;
            die "produce: $err\n" if $err;
            my $offset = $res->{topics}[0]{partitions}[0]{base_offset};
            print "produced at offset $offset\n";
            $conn->fetch($topic, 0, $offset, sub {
                my ($res, $err) = @_;
                die "fetch: $err\n" if $err;
                my $rec = $res->{topics}[0]{partitions}[0]{records}[0];
                print "fetched offset $rec->{offset}: $rec->{key} = $rec->{value}\n";
                $conn->disconnect;
                EV::break;
            });
        });
    });
});
$conn->connect($host, $port, 5.0);
EV::run;
