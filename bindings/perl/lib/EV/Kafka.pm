package EV::Kafka;

# EV::Kafka over libkfk: the documented EV::Kafka API (EV::Kafka::Conn, the
# utility functions) implemented with FFI::Platypus. Callbacks run from
# the EV loop; libkfk does its network I/O on its own threads and hands
# completions over through one event queue per loop.

use strict;
use warnings;
use Kfk::FFI;
use EV::Kafka::Conn;
use EV::Kafka::Client;

our $VERSION = '0.1.0';

# EV::Kafka->new(%options) returns an EV::Kafka::Client.
sub new {
    my ($class, %opt) = @_;
    return EV::Kafka::Client->new(%opt);
}

sub _lib { Kfk::FFI::load(); }

# Kafka-compatible murmur2 of $key, as a non-negative 31-bit integer.
sub _murmur2 {
    my ($key) = @_;
    _lib();
    my @keep;
    return Kfk::FFI::kfk_murmur2(Kfk::FFI::ptr(\@keep, $key // ''), length($key // ''));
}

# CRC32C (Castagnoli) of $data.
sub _crc32c {
    my ($data) = @_;
    _lib();
    my @keep;
    return Kfk::FFI::kfk_crc32c(Kfk::FFI::ptr(\@keep, $data // ''), length($data // ''));
}

# The name of a Kafka error code, e.g. 3 => "UNKNOWN_TOPIC_OR_PARTITION".
sub _error_name {
    my ($code) = @_;
    _lib();
    return Kfk::FFI::kfk_err_name($code);
}

1;
