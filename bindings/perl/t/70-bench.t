# The benchmark scripts of the BENCHMARKS section (and throughput.pl) run, honour the BENCH_*
# variables and print every documented line (a small message count: this
# checks the scripts, it measures nothing).
use strict;
use warnings;
use Test::More;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $lib = "$FindBin::Bin/../lib";
local $ENV{BENCH_BROKER}     = "$host:$port";
local $ENV{BENCH_MESSAGES}   = 200;
local $ENV{BENCH_VALUE_SIZE} = 64;
local $ENV{BENCH_TOPIC}      = unique('perl-bench');

my $out = `$^X -I$lib $FindBin::Bin/../bench/benchmark.pl 2>&1`;
is $?, 0, 'benchmark.pl exits 0' or diag $out;
like $out, qr/200 messages, 64-byte values/, 'BENCH_MESSAGES and BENCH_VALUE_SIZE are honoured';
for my $line ('Pipeline produce \(acks=1\)', 'Fire-and-forget \(acks=0\)', 'Sequential round-trip', 'Metadata request') {
    like $out, qr/^$line\s+\d+ msg\/sec/m, "reports $line";
}
like $out, qr/^\s+$_ bytes\s+\d+ msg\/sec\s+[\d.]+ MB\/s$/m, "reports $_-byte values" for 10, 100, 1000, 10000;

$out = `$^X -I$lib $FindBin::Bin/../bench/latency.pl 2>&1`;
is $?, 0, 'latency.pl exits 0' or diag $out;
like $out, qr/^200 round-trips/m, 'latency.pl counts BENCH_MESSAGES round-trips';
like $out, qr/min: \d+ us  avg: \d+ us  median: \d+ us  p90: \d+ us  p95: \d+ us  p99: \d+ us  max: \d+ us/,
    'latency.pl prints the percentiles';

$out = `$^X -I$lib $FindBin::Bin/../bench/throughput.pl 2>&1`;
is $?, 0, 'throughput.pl exits 0' or diag $out;
like $out, qr/^$_\s+msgs_per_s=\d+ cpu_us_per_msg=[\d.]+$/m, "throughput.pl reports $_"
    for qw(produce produce_many consume);

done_testing;
