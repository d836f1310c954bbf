use strict;
use warnings;
use Test::More;

use EV::Kafka;

# Loading the module does not load libkfk (fork first, use later).
my $maps = do { local (@ARGV, $/) = ("/proc/$$/maps"); <> };
unlike($maps, qr/libkfk/, 'libkfk is not loaded by use EV::Kafka');

is(EV::Kafka::_murmur2('21'), -973932308 & 0x7fffffff, '_murmur2 matches the Java client');
is(EV::Kafka::_murmur2('abc'), 479470107, '_murmur2 abc');
is(EV::Kafka::_crc32c('123456789'), 0xE3069283, '_crc32c check value');
is(EV::Kafka::_error_name(3), 'UNKNOWN_TOPIC_OR_PARTITION', '_error_name');
is(EV::Kafka::Client::error_name(79), 'MEMBER_ID_REQUIRED', 'Client::error_name as a function');
is(EV::Kafka::Client->error_name(36), 'TOPIC_ALREADY_EXISTS', 'Client->error_name as a method');

# An unknown code is named UNKNOWN, also past 32 bits (not cut to one
# that exists).
for my $code (65539, 12345, -999, 2**32 + 3, 2**40, -2**40) {
    is(EV::Kafka::_error_name($code), 'UNKNOWN', "_error_name($code) is UNKNOWN");
    is(EV::Kafka::Client::error_name($code), 'UNKNOWN', "Client::error_name($code) is UNKNOWN");
}
is(EV::Kafka::_error_name(0), 'NONE', '_error_name(0) is NONE');

done_testing;
