# Strings go to the library as their bytes whatever Perl's internal
# representation: a string with the UTF-8 flag on (utf8::upgrade) hashes
# and is sent like the same string without it, the caller's variable is
# left as it was, and a character above 255 croaks as Perl's I/O does.
# No broker needed (what reaches a broker is t/45-binary.t).
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;

my $bytes = "\xff\xfe\x00\x80";
my $upgraded = $bytes;
utf8::upgrade($upgraded);
ok(utf8::is_utf8($upgraded) && $upgraded eq $bytes, 'the same string, once with the UTF-8 flag on');

is(EV::Kafka::_murmur2($upgraded), EV::Kafka::_murmur2($bytes), '_murmur2 hashes the bytes');
is(EV::Kafka::_crc32c($upgraded), EV::Kafka::_crc32c($bytes), '_crc32c checks the bytes');
my $all = join '', map { chr } 0 .. 255;
my $all_up = $all;
utf8::upgrade($all_up);
is(EV::Kafka::_murmur2($all_up), EV::Kafka::_murmur2($all), '_murmur2 of all 256 byte values');
is(EV::Kafka::_crc32c($all_up), EV::Kafka::_crc32c($all), '_crc32c of all 256 byte values');
ok(utf8::is_utf8($upgraded), 'the caller\'s string keeps its flag');

for my $call (['_murmur2', \&EV::Kafka::_murmur2], ['_crc32c', \&EV::Kafka::_crc32c]) {
    my ($name, $fn) = @$call;
    eval { $fn->("snow \x{2603}") };
    like($@, qr/^Wide character/, "$name croaks on a character above 255");
}

# The client refuses a wide character in any byte string before sending.
my $kafka = EV::Kafka->new(brokers => '127.0.0.1:1', on_error => sub { });
my $wide = "\x{263a}";
for my $case ([key => ['t', $wide, 'v']], [value => ['t', 'k', $wide]],
              ['header name' => ['t', 'k', 'v', { headers => { $wide => 'v' } }]],
              ['header value' => ['t', 'k', 'v', { headers => { h => $wide } }]],
              [topic => ["t$wide", 'k', 'v']]) {
    my ($what, $args) = @$case;
    eval { $kafka->produce(@$args, { partition => 0 }) } if @$args == 3;
    eval { $kafka->produce(@$args) } if @$args == 4;
    like($@, qr/^Wide character/, "produce croaks on a wide character in the $what");
    eval { $kafka->produce_many([[@$args]]) };
    like($@, qr/^Wide character/, "produce_many croaks on a wide character in the $what");
}
like(do { eval { $kafka->produce('t', $wide, 'v') }; $@ }, qr/at \Q$0\E line/, 'the croak names the caller\'s line');

# Names passed as C strings follow the same rule.
eval { $kafka->seek("t$wide", 0, 0) };
like($@, qr/^Wide character/, 'seek croaks on a wide character in the topic');
eval { $kafka->offsets_for("t$wide", sub { }) };
like($@, qr/^Wide character/, 'offsets_for too');
eval { EV::Kafka->new(brokers => '127.0.0.1:1', client_id => "id$wide") };
like($@, qr/^Wide character/, 'and an option value');

done_testing;
