# The Perl examples (examples/perl) run against the broker and print what
# they say they do, with the environment variables EV::Kafka documents.
use strict;
use warnings;
use Test::More;
use FindBin;
use EV::Kafka;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $dir   = "$FindBin::Bin/../../../examples/perl";
my $inc   = join ' ', map { "-I$_" } @INC;
my $topic = unique('perlexample');

sub example {
    my ($script, %env) = @_;
    my $vars = join ' ', map { "$_=$env{$_}" } sort keys %env;
    my $out = `$vars timeout 90 $^X $inc $dir/$script 2>&1`;
    is($?, 0, "$script exits 0") or diag $out;
    return $out;
}

my $out = example('producer.pl', KAFKA_BROKER => "$host:$port", KAFKA_TOPIC => $topic, KAFKA_COUNT => 500);
like($out, qr/^sent 500 messages in /m, 'producer.pl fires and forgets');
like($out, qr/^an acknowledged message is at \Q$topic\E\/0\@\d+$/m, 'then reports an acknowledged one');

$out = example('consumer_group.pl', KAFKA_BROKER => "$host:$port", KAFKA_TOPIC => $topic,
    KAFKA_GROUP_ID => "g-$topic", KAFKA_LIMIT => 7);
like($out, qr/^assigned: \Q$topic\E:0$/m, 'consumer_group.pl is assigned the partition');
is(scalar(() = $out =~ /^\Q$topic\E:0\@\d+ /mg), 7, 'prints KAFKA_LIMIT messages');
like($out, qr/^read 7 messages as g-\Q$topic\E$/m, 'and leaves');

$out = example('cooperative_group.pl', KAFKA_BROKER => "$host:$port", KAFKA_TOPIC => unique('perlcoop'));
like($out, qr/^first assigned 0,1,2,3,4,5$/m, 'cooperative_group.pl: the first member owns all six');
like($out, qr/^first revoked (\d,\d,\d)\nsecond assigned \1$/m, 'the second joining moves only three, no more');
like($out, qr/^first keeps \d,\d,\d - second has \d,\d,\d$/m, 'the first keeps the rest');

$out = example('conn.pl', KAFKA_HOST => $host, KAFKA_PORT => $port, KAFKA_TOPIC => $topic);
like($out, qr/^fetched offset (\d+): hello = from the low-level layer$/m, 'conn.pl produces and fetches back');

# share_consumer.pl: two runs in one share group divide a topic's records;
# the first stops at --count, the second at 10 s without a record.
{
    my $conn = connected_conn();
    my $share_topic = create_topic($conn, 2);
    my $group = unique('perlexample-share');
    share_group_from_earliest($conn, $group);
    my $producer = EV::Kafka->new(brokers => "$host:$port");
    wait_for(sub { my $d = shift; $producer->connect(sub { $d->() }) });
    my $errors = wait_for(sub { $producer->produce_many([map { [$share_topic, undef, "job $_", { partition => $_ % 2 }] } 0 .. 19], shift) });
    ok(!$errors, 'produced 20 records for share_consumer.pl');
    my @runs = map {
        my $out = `timeout 90 $^X $inc $dir/share_consumer.pl $host:$port $share_topic $group $_ 2>&1`;
        is($?, 0, 'share_consumer.pl ' . ($_ || 'without --count') . ' exits 0') or diag $out;
        [$out =~ /^(\d+:\d+)$/mg];
    } '--count 15', '';
    is(scalar @{ $runs[0] }, 15, 'the first run accepts --count records');
    is_deeply([sort @{ $runs[0] }, @{ $runs[1] }], [sort map { ($_ % 2) . ':' . int($_ / 2) } 0 .. 19],
        'the second the rest, then leaves when idle: each record accepted once');
}

done_testing;
