package Kfk::FFI;

# Raw declarations of libkfk's C ABI (include/kfk.h) for FFI::Platypus, plus
# the event queue that EV::Kafka's objects share. The library is opened on
# first use, never at load time: a Go runtime does not survive fork(), so a
# pre-forking server may `use EV::Kafka` and fork before creating objects.

use strict;
use warnings;
use Carp ();
use FFI::Platypus 2.00;
use FFI::Platypus::Buffer qw(scalar_to_buffer buffer_to_scalar);

our $VERSION = '0.2.0';

# kfk_val_type_t and kfk_event_type_t
use constant {
    VAL_NULL => 0, VAL_INT => 1, VAL_STR => 2, VAL_LIST => 3, VAL_MAP => 4, VAL_BOOL => 5, VAL_BYTES => 6,
    EVENT_RESULT => 1, EVENT_CONNECT => 2, EVENT_ERROR => 3, EVENT_DISCONNECT => 4, EVENT_DELIVERY => 5, EVENT_MESSAGE => 6, EVENT_ASSIGN => 7, EVENT_REVOKE => 8, EVENT_LOG => 9, EVENT_STATS => 10,
    ERR_FORKED => -103,
};

use constant VAL_SIZE   => 40;    # sizeof(kfk_val_t)
use constant EVENT_SIZE => 48;    # sizeof(kfk_event_t)
use constant BATCH      => 256;   # events pulled per call

my %SIGNATURES = (
    kfk_version_str            => [[], 'string'],
    kfk_err_name               => [['sint32'], 'string'],
    kfk_err_string             => [['sint32'], 'string'],
    kfk_murmur2                => [['opaque', 'size_t'], 'sint32'],
    kfk_crc32c                 => [['opaque', 'size_t'], 'uint32'],
    kfk_queue_new              => [['opaque*'], 'sint32'],
    kfk_queue_destroy          => [['opaque'], 'sint32'],
    kfk_queue_fd               => [['opaque'], 'int'],
    kfk_poll_batch             => [['opaque', 'opaque', 'int', 'int'], 'int'],
    kfk_conn_new               => [['opaque', 'opaque*'], 'sint32'],
    kfk_conn_destroy           => [['opaque'], 'sint32'],
    kfk_conn_set_event_handler => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_set_client_id     => [['opaque', 'string'], 'sint32'],
    kfk_conn_set_tls           => [['opaque', 'int', 'string', 'int', 'string'], 'sint32'],
    kfk_conn_set_sasl          => [['opaque', 'string', 'string', 'string'], 'sint32'],
    kfk_conn_set_auto_reconnect => [['opaque', 'int', 'int'], 'sint32'],
    kfk_conn_connect           => [['opaque', 'string', 'int', 'int'], 'sint32'],
    kfk_conn_disconnect        => [['opaque'], 'sint32'],
    kfk_conn_connected         => [['opaque'], 'int'],
    kfk_conn_state             => [['opaque'], 'int'],
    kfk_conn_pending           => [['opaque'], 'sint64'],
    kfk_conn_api_versions      => [['opaque', 'opaque', 'size_t'], 'int'],
    kfk_conn_metadata          => [['opaque', 'opaque', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_produce_batch     => [['opaque', 'string', 'sint32', 'opaque', 'size_t', 'opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_fetch             => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_list_offsets      => [['opaque', 'string', 'sint32', 'sint64', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_find_coordinator  => [['opaque', 'string', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_join_group        => [['opaque', 'string', 'string', 'opaque', 'size_t', 'int', 'int', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_sync_group        => [['opaque', 'string', 'sint32', 'string', 'opaque', 'size_t', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_heartbeat         => [['opaque', 'string', 'sint32', 'string', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_leave_group       => [['opaque', 'string', 'string', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_offset_commit     => [['opaque', 'string', 'sint32', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_offset_fetch      => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_create_topics     => [['opaque', 'opaque', 'size_t', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_delete_topics     => [['opaque', 'opaque', 'size_t', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_init_producer_id  => [['opaque', 'string', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_add_partitions_to_txn => [['opaque', 'string', 'sint64', 'sint16', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_add_offsets_to_txn => [['opaque', 'string', 'sint64', 'sint16', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_end_txn           => [['opaque', 'string', 'sint64', 'sint16', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_conn_txn_offset_commit => [['opaque', 'string', 'string', 'sint64', 'sint16', 'sint32', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_conf_new               => [['opaque*'], 'sint32'],
    kfk_conf_set               => [['opaque', 'string', 'string', 'opaque', 'size_t'], 'sint32'],
    kfk_conf_destroy           => [['opaque'], 'sint32'],
    kfk_client_new             => [['opaque', 'opaque', 'opaque*', 'opaque', 'size_t'], 'sint32'],
    kfk_client_set_event_handler => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_client_connect         => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_client_metadata        => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_client_partition_count => [['opaque', 'string'], 'sint32'],
    kfk_produce                => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_produce_batch          => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_flush                  => [['opaque', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_client_close           => [['opaque', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_client_destroy         => [['opaque'], 'sint32'],
    kfk_assign                 => [['opaque', 'opaque', 'size_t'], 'sint32'],
    kfk_seek                   => [['opaque', 'string', 'sint32', 'sint64', 'opaque', 'opaque'], 'sint32'],
    kfk_consume                => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_offsets_for            => [['opaque', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_lag                    => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_create_topics    => [['opaque', 'opaque', 'size_t', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_delete_topics    => [['opaque', 'opaque', 'size_t', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_describe_cluster => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_list_groups      => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_describe_groups  => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_describe_topic_configs => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_alter_topic_configs    => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_create_partitions      => [['opaque', 'string', 'sint32', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_delete_records   => [['opaque', 'opaque', 'size_t', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_group_lag        => [['opaque', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_subscribe              => [['opaque', 'opaque', 'size_t', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_commit                 => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_unsubscribe            => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_begin              => [['opaque'], 'sint32'],
    kfk_txn_send_offsets       => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_commit             => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_abort              => [['opaque', 'opaque', 'opaque'], 'sint32'],
);

my ($loaded_pid, $ffi);

sub library_path {
    return $ENV{KFK_LIBRARY} if $ENV{KFK_LIBRARY};
    (my $here = $INC{'Kfk/FFI.pm'}) =~ s{/Kfk/FFI\.pm$}{};
    for my $candidate ("$here/../../../build/libkfk.so", "$here/auto/kfk/libkfk.so") {
        return $candidate if -e $candidate;
    }
    my ($found) = FFI::Platypus->new(api => 2)->find_lib(lib => 'kfk');
    return $found if $found;
    Carp::croak("libkfk.so not found: build it with `make lib` or set KFK_LIBRARY");
}

# Opens the library and attaches every function to this package (kfk_*).
sub load {
    if (defined $loaded_pid) {
        Carp::croak("EV::Kafka: libkfk was loaded before fork(); create Kafka objects in the child only")
            if $loaded_pid != $$;
        return;
    }
    $ffi = FFI::Platypus->new(api => 2, lib => [library_path()]);
    for my $name (keys %SIGNATURES) {
        $ffi->attach($name => @{ $SIGNATURES{$name} });
    }
    # libc's strlen, for cstring: a cast to 'string' costs ~50x more.
    FFI::Platypus->new(api => 2, lib => [undef])->attach([strlen => '_strlen'] => ['opaque'] => 'size_t');
    $loaded_pid = $$;
}

# The NUL-terminated C string at address $p.
sub cstring {
    my ($p) = @_;
    return undef unless $p;
    my $n = _strlen($p);
    return $n ? buffer_to_scalar($p, $n) : '';
}

sub loaded_here { defined $loaded_pid && $loaded_pid == $$ }

sub check_pid {
    Carp::croak("EV::Kafka: this object belongs to the parent process; libkfk cannot be used after fork()")
        if defined $loaded_pid && $loaded_pid != $$;
}

# ---- packing of C arguments ---------------------------------------------
#
# Structures are packed into Perl strings; pointers inside them come from
# scalar_to_buffer on strings that the caller keeps alive in @$keep until
# the call returns (libkfk copies everything during the call).

sub ptr {
    my ($keep, $bytes) = @_;
    return 0 unless defined $bytes;
    push @$keep, \$bytes;
    my ($p) = scalar_to_buffer(${ $keep->[-1] });
    return $p;
}

sub cstr {
    my ($keep, $s) = @_;
    return 0 unless defined $s;
    return ptr($keep, "$s\0");
}

# An array of C strings (const char *const *).
sub str_array {
    my ($keep, $list) = @_;
    return ptr($keep, pack('Q*', map { cstr($keep, $_) } @$list) || "\0" x 8);
}

# kfk_topic_partition_t: topic*, partition i32, leader_epoch i32, offset i64, metadata*
sub tp_array {
    my ($keep, $tps) = @_;
    my $buf = join '', map {
        pack('Q l l q Q', cstr($keep, $_->{topic}), $_->{partition} // 0,
            $_->{leader_epoch} // -1, $_->{offset} // 0, cstr($keep, $_->{metadata}))
    } @$tps;
    return ptr($keep, length $buf ? $buf : "\0" x 32);
}

# kfk_new_topic_t array from [{name, num_partitions, replication_factor, config => {}}].
sub new_topics {
    my ($keep, $topics) = @_;
    my $buf = join '', map {
        my $cfg = $_->{config} || {};
        my @kv = map { ($_, $cfg->{$_}) } sort keys %$cfg;
        pack('Q l s s Q Q', cstr($keep, $_->{name}), $_->{num_partitions} // -1,
            $_->{replication_factor} // -1, 0, @kv ? str_array($keep, \@kv) : 0, @kv / 2)
    } @$topics;
    return ptr($keep, length $buf ? $buf : "\0" x 32);
}

# kfk_header_t array from a hashref or an arrayref of pairs.
sub headers {
    my ($keep, $h) = @_;
    return (0, 0) unless $h;
    my @pairs = ref $h eq 'HASH' ? map { [$_, $h->{$_}] } sort keys %$h
              : map { [$h->[2 * $_], $h->[2 * $_ + 1]] } 0 .. $#$h / 2;
    return (0, 0) unless @pairs;
    my $buf = join '', map {
        my ($k, $v) = @$_;
        pack('Q Q Q Q', ptr($keep, $k), length $k, ptr($keep, $v), defined $v ? length $v : 0)
    } @pairs;
    return (ptr($keep, $buf), scalar @pairs);
}

# kfk_record_t array: key*, key_len, value*, value_len, headers*, count, timestamp
sub records {
    my ($keep, $records) = @_;
    my $buf = join '', map {
        my ($hp, $hn) = headers($keep, $_->{headers});
        pack('Q Q Q Q Q Q q', ptr($keep, $_->{key}), length($_->{key} // ''),
            ptr($keep, $_->{value}), length($_->{value} // ''), $hp, $hn, $_->{timestamp} // -1)
    } @$records;
    return ptr($keep, $buf);
}

# kfk_message_t for produce: topic*, partition, err, offset, timestamp,
# key*, key_len, value*, value_len, headers*, header_count, opaque
sub message {
    my ($keep, $m) = @_;
    my ($hp, $hn) = headers($keep, $m->{headers});
    return pack('Q l l q q Q Q Q Q Q Q Q', cstr($keep, $m->{topic}), $m->{partition} // -1, 0, -1,
        $m->{timestamp} // -1, ptr($keep, $m->{key}), length($m->{key} // ''), ptr($keep, $m->{value}),
        length($m->{value} // ''), $hp, $hn, $m->{opaque} // 0);
}

# ---- result trees and messages ----------------------------------------------

use constant MESSAGE_SIZE => 88;    # sizeof(kfk_message_t)

# A kfk_message_t as a hashref (topic, partition, err, offset, timestamp,
# key, value; headers as a hashref when present).
sub message_at {
    my ($p) = @_;
    my ($topic, $partition, $err, $offset, $ts, $k, $klen, $v, $vlen, $h, $hn) =
        unpack('Q l l q q Q Q Q Q Q Q', buffer_to_scalar($p, MESSAGE_SIZE));
    my %m = (topic => cstring($topic), partition => $partition, err => $err, offset => $offset,
        timestamp => $ts, key => ($k ? buffer_to_scalar($k, $klen) : undef),
        value => ($v ? buffer_to_scalar($v, $vlen) : undef));
    if ($hn) {
        my $all = buffer_to_scalar($h, 32 * $hn);
        for my $i (0 .. $hn - 1) {
            my ($hk, $hkl, $hv, $hvl) = unpack('Q Q Q Q', substr($all, 32 * $i, 32));
            $m{headers}{ $hkl ? buffer_to_scalar($hk, $hkl) : '' } = $hv ? buffer_to_scalar($hv, $hvl) : undef;
        }
    }
    return \%m;
}

sub val_at {
    my ($p) = @_;
    return undef unless $p;
    return tree(buffer_to_scalar($p, VAL_SIZE));
}

# Converts one packed kfk_val_t (and everything below it) to Perl data.
sub tree {
    my ($node) = @_;
    my ($type, undef, $i, $s, $n, $items) = unpack('l l q Q Q Q', $node);
    return $i if $type == VAL_INT;
    return $i ? 1 : 0 if $type == VAL_BOOL;
    return ($n ? buffer_to_scalar($s, $n) : '') if $type == VAL_STR || $type == VAL_BYTES;
    if ($type == VAL_LIST) {
        return [] unless $n;
        my $all = buffer_to_scalar($items, $n * VAL_SIZE);
        return [map { tree(substr($all, $_ * VAL_SIZE, VAL_SIZE)) } 0 .. $n - 1];
    }
    if ($type == VAL_MAP) {
        return {} unless $n;
        my $all = buffer_to_scalar($items, 2 * $n * VAL_SIZE);
        my %h;
        for my $k (0 .. $n - 1) {
            $h{ tree(substr($all, 2 * $k * VAL_SIZE, VAL_SIZE)) } = tree(substr($all, (2 * $k + 1) * VAL_SIZE, VAL_SIZE));
        }
        return \%h;
    }
    return undef;
}

1;
