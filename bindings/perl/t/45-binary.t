# Keys, values and headers are bytes through every path that takes them in
# and every path that hands them out: Conn produce, produce_batch, fetch
# and fetch_multi; client produce (with its results), produce_many, and
# consuming by assign + poll and by subscribe. The data: every byte value,
# embedded NULs, a 100 KB random value, empty versus undef keys, values and
# header values, and strings with Perl's UTF-8 flag on going in.
use strict;
use warnings;
use Test::More;
use EV;
use EV::Kafka;
use FindBin;
require "$FindBin::Bin/lib.pl";

my ($host, $port) = broker();
my $conn = connected_conn();

sub upgraded { my ($s) = @_; utf8::upgrade($s); return $s }

my $all  = join '', map { chr } 0 .. 255;
my $nuls = "\0a\0\0b\0";
my $big  = pack 'C*', map { int rand 256 } 1 .. 100 * 1024;
my $up_key   = upgraded("\xff\xfe\x00\x80");
my $up_value = upgraded("caf\xe9 \x00 \xa0" . $all);
my $up_name  = upgraded("\xe9t\xe9");

# What is produced, and the bytes each record must come back with.
my @records = (
    { key => $all, value => $all, headers => { "h\0\xff" => $all } },
    { key => '', value => undef, headers => { empty => '', null => undef } },
    { key => undef, value => '', headers => {} },
    { key => $nuls, value => $big },
    { key => $up_key, value => $up_value, headers => { $up_name => $up_value } },
);
my @want = map {
    { key => $_->{key}, value => $_->{value}, headers => { %{ $_->{headers} // {} } } }
} @records;
for my $w (@want) {    # what the upgraded strings are as bytes
    for my $s ($w->{key}, $w->{value}, values %{ $w->{headers} }) { utf8::downgrade($s) if defined $s }
    $w->{headers} = { map { my $k = $_; utf8::downgrade($k); ($k => $w->{headers}{$_}) } keys %{ $w->{headers} } };
}

# Byte-exact comparison with a readable diagnosis.
sub same_bytes {
    my ($got, $want, $name) = @_;
    return pass($name) if !defined $got && !defined $want;
    return fail("$name: got " . (defined $got ? 'bytes' : 'undef') . ', want ' . (defined $want ? 'bytes' : 'undef'))
        if !defined $got || !defined $want;
    return pass($name) if $got eq $want && !utf8::is_utf8($got);
    my $at = 0;
    $at++ while $at < length $got && $at < length $want && substr($got, $at, 1) eq substr($want, $at, 1);
    fail($name);
    diag sprintf('length %d, want %d; UTF-8 flag %s; first difference at byte %d', length $got, length $want,
        utf8::is_utf8($got) ? 'on' : 'off', $at);
}

sub check_record {
    my ($got, $i, $path) = @_;
    my $w = $want[$i];
    same_bytes($got->{key}, $w->{key}, "$path: record $i key");
    same_bytes($got->{value}, $w->{value}, "$path: record $i value");
    my $h = $got->{headers} // {};
    is_deeply([sort keys %$h], [sort keys %{ $w->{headers} }], "$path: record $i header names");
    same_bytes($h->{$_}, $w->{headers}{$_}, "$path: record $i header " . unpack('H*', $_)) for sort keys %{ $w->{headers} };
}

sub callers_strings_intact {
    my ($path) = @_;
    ok(utf8::is_utf8($up_key) && utf8::is_utf8($up_value) && utf8::is_utf8($up_name),
        "$path: the caller's upgraded strings keep their UTF-8 flag");
}

# Fetches $n records of $topic/0 from $offset through the Conn.
sub fetch_records {
    my ($topic, $offset, $n, $multi) = @_;
    my @got;
    for (1 .. 50) {
        my ($res, $err) = wait_for(sub {
            my $done = shift;
            my $opts = { max_bytes => 8 << 20 };
            $multi ? $conn->fetch_multi({ $topic => [{ partition => 0, offset => $offset + @got }] }, $opts, $done)
                   : $conn->fetch($topic, 0, $offset + @got, $opts, $done);
        });
        die "fetch: $err" if $err;
        push @got, @{ $res->{topics}[0]{partitions}[0]{records} };
        last if @got >= $n;
    }
    return @got;
}

subtest 'Conn produce_batch, produce; fetch and fetch_multi' => sub {
    my $topic = create_topic($conn, 1);
    my ($res, $err) = wait_for(sub { $conn->produce_batch($topic, 0, \@records, shift) });
    ok(!$err, 'produce_batch') or diag $err;
    for my $r (@records) {
        ($res, $err) = wait_for(sub { $conn->produce($topic, 0, $r->{key}, $r->{value}, { headers => $r->{headers} }, shift) });
        ok(!$err, 'produce') or diag $err;
    }
    callers_strings_intact('Conn');
    my @got = fetch_records($topic, 0, 2 * @records);
    is(scalar @got, 2 * @records, 'fetch returns every record');
    check_record($got[$_], $_, 'produce_batch + fetch') for 0 .. $#records;
    check_record($got[$_ + @records], $_, 'produce + fetch') for 0 .. $#records;
    @got = fetch_records($topic, scalar @records, scalar @records, 'multi');
    check_record($got[$_], $_, 'produce + fetch_multi') for 0 .. $#records;
};

# A consumer client; $start->($kafka) makes it consume, and it runs until
# $n messages arrived (60 s at most: a group join may come first). Returns
# them as on_message's argument lists.
sub consume {
    my ($n, $start) = @_;
    my @got;
    my $kafka = EV::Kafka->new(brokers => "$host:$port", on_error => sub { diag "consumer: @_" },
        on_message => sub { push @got, [@_] });
    wait_for(sub { my $done = shift; $kafka->connect(sub { $done->() }) });
    $start->($kafka);
    for (1 .. 600) {
        last if @got >= $n;
        my $t = EV::timer(0.1, 0, sub { EV::break });
        EV::run;
    }
    wait_for(sub { $kafka->close(shift) });
    return map { { topic => $_->[0], partition => $_->[1], offset => $_->[2], key => $_->[3], value => $_->[4],
        headers => $_->[5] } } @got;
}

my $producer = EV::Kafka->new(brokers => "$host:$port", acks => -1, on_error => sub { diag "producer: @_" });
wait_for(sub { my $done = shift; $producer->connect(sub { $done->() }) });

subtest 'client produce, its results; assign + poll' => sub {
    my $topic = create_topic($conn, 1);
    my @results;
    for my $r (@records) {
        my ($res, $err) = wait_for(sub {
            $producer->produce($topic, $r->{key}, $r->{value}, { headers => $r->{headers}, partition => 0 }, shift);
        });
        ok(!$err, 'produce') or diag $err;
        push @results, $res;
    }
    callers_strings_intact('client produce');
    is_deeply([map { [$_->{topics}[0]{topic}, @{ $_->{topics}[0]{partitions}[0] }{qw(partition base_offset error_code)}] } @results],
        [map { [$topic, 0, $_, 0] } 0 .. $#records], 'each result names the topic, partition and offset');
    my $poll;
    my @got = consume(scalar @records, sub {
        my ($kafka) = @_;
        $kafka->assign([{ topic => $topic, partition => 0, offset => 0 }]);
        $poll = EV::timer(0, 0.1, sub { $kafka->poll });
    });
    undef $poll;
    is(scalar @got, scalar @records, 'on_message got every record');
    check_record($got[$_], $_, 'produce + assign/poll') for 0 .. $#records;
    is_deeply([map { $_->{topic} } @got], [($topic) x @records], 'on_message names the topic');
};

subtest 'produce_many; subscribe' => sub {
    my $topic = create_topic($conn, 1);
    my $errors = wait_for(sub {
        my $done = shift;
        $producer->produce_many([map { { topic => $topic, %$_ } } @records], sub { $done->(@_) });
    });
    ok(!defined $errors, 'produce_many: no errors') or diag explain $errors;
    callers_strings_intact('produce_many');
    my @got = consume(scalar @records, sub {
        $_[0]->subscribe($topic, group_id => unique('perl-binary'), auto_offset_reset => 'earliest');
    });
    is(scalar @got, scalar @records, 'the subscription got every record');
    @got = sort { $a->{offset} <=> $b->{offset} } @got;
    check_record($got[$_], $_, 'produce_many + subscribe') for 0 .. $#records;
};

subtest 'an upgraded key is partitioned by its bytes' => sub {
    my $topic = create_topic($conn, 3);
    my @keys = map { upgraded(chr(0x80 + $_) . "\xff key") } 0 .. 11;
    for my $key (@keys) {
        my ($res, $err) = wait_for(sub { $producer->produce($topic, $key, 'v', shift) });
        my $bytes = $key;
        utf8::downgrade($bytes);
        is($res->{topics}[0]{partitions}[0]{partition}, EV::Kafka::_murmur2($bytes) % 3,
            'key ' . unpack('H*', $bytes) . ' on murmur2(bytes) % 3') or diag $err;
    }
};

subtest 'names go as bytes too' => sub {
    # A group id with a byte above 127: committed under its bytes, fetched
    # back with the same string upgraded.
    my $topic = create_topic($conn, 1);
    my $group = unique("caf\xe9");
    my ($co) = retry_codes(sub { $conn->find_coordinator($group, shift) }, 14, 15);
    is($co->{error_code}, 0, 'the group has a coordinator');
    my ($oc) = retry_codes(sub {
        my $done = shift;
        $conn->offset_commit($group, -1, '', [{ topic => $topic, partition => 0, offset => 7 }],
            sub { $done->({ error_code => $_[0]{topics}[0]{partitions}[0]{error_code} }) });
    }, 14, 15, 16);
    is($oc->{error_code}, 0, 'offsets committed for the group');
    my $up_group = upgraded($group);
    my ($of) = wait_for(sub { $conn->offset_fetch($up_group, [$topic], shift) });
    is($of->{topics}[0]{partitions}[0]{offset}, 7, 'the same group read with its name upgraded');
    ok(utf8::is_utf8($up_group), 'and the caller\'s name keeps its flag');
};

subtest 'a wide character croaks before anything is sent' => sub {
    my $topic = create_topic($conn, 1);
    eval { $conn->produce($topic, 0, "\x{263a}", 'v', sub { fail('sent') }) };
    like($@, qr/^Wide character/, 'Conn produce');
    eval { $conn->produce_batch($topic, 0, [{ value => 'ok' }, { value => "\x{263a}" }], sub { fail('sent') }) };
    like($@, qr/^Wide character/, 'Conn produce_batch');
    eval { $producer->produce($topic, 'k', "\x{263a}", sub { fail('sent') }) };
    like($@, qr/^Wide character/, 'client produce');
    my ($lo) = wait_for(sub { $conn->list_offsets($topic, 0, -1, shift) });
    is($lo->{topics}[0]{partitions}[0]{offset}, 0, 'the topic is still empty');
};

wait_for(sub { $producer->close(shift) });
done_testing;
