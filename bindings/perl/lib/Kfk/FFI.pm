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

our $VERSION = '0.4.0';

# Croaks here name the line of the program that called EV::Kafka.
our @CARP_NOT = qw(EV::Kafka EV::Kafka::Client EV::Kafka::Conn EV::Kafka::Queue);

# The KFK_* constants of kfk.h that the binding uses, named here once:
# each is a constant of this package without its KFK_ prefix
# (Kfk::FFI::ERR_CLOSED). t/05-abi.t checks every value against the header
# and that every KFK_ERR_* of the header is here.
my %CONSTANTS;
BEGIN {
    %CONSTANTS = (
        KFK_OK => 0,
        KFK_ERR_INVALID_ARG => -101, KFK_ERR_INVALID_HANDLE => -102, KFK_ERR_FORKED => -103,
        KFK_ERR_REENTRANT => -104, KFK_ERR_TIMED_OUT => -105, KFK_ERR_DISCONNECTED => -106,
        KFK_ERR_NOT_CONNECTED => -107, KFK_ERR_CONNECT => -108, KFK_ERR_TLS => -109, KFK_ERR_SASL => -110,
        KFK_ERR_PROTOCOL => -111, KFK_ERR_UNSUPPORTED => -112, KFK_ERR_CONFIG => -113, KFK_ERR_CLOSED => -114,
        KFK_ERR_INTERNAL => -115, KFK_ERR_QUEUE_FULL => -116, KFK_ERR_STATE => -117,
        KFK_ERR_NO_BUFFER_SPACE => -118, KFK_ERR_PURGED_QUEUE => -119, KFK_ERR_PURGED_INFLIGHT => -120,
        KFK_VAL_NULL => 0, KFK_VAL_INT => 1, KFK_VAL_STR => 2, KFK_VAL_LIST => 3, KFK_VAL_MAP => 4,
        KFK_VAL_BOOL => 5, KFK_VAL_BYTES => 6,
        KFK_EVENT_RESULT => 1, KFK_EVENT_CONNECT => 2, KFK_EVENT_ERROR => 3, KFK_EVENT_DISCONNECT => 4,
        KFK_EVENT_DELIVERY => 5, KFK_EVENT_MESSAGE => 6, KFK_EVENT_ASSIGN => 7, KFK_EVENT_REVOKE => 8,
        KFK_EVENT_LOG => 9, KFK_EVENT_STATS => 10, KFK_EVENT_LOST => 11,
        KFK_EVENT_OAUTHBEARER_TOKEN_REFRESH => 12,
        KFK_OFFSET_LATEST => -1, KFK_OFFSET_EARLIEST => -2, KFK_CONN_DISCONNECTED => 0,
        KFK_TIMESTAMP_NOT_AVAILABLE => 0, KFK_TIMESTAMP_CREATE_TIME => 1, KFK_TIMESTAMP_LOG_APPEND_TIME => 2,
        KFK_ACK_ACCEPT => 1, KFK_ACK_RELEASE => 2, KFK_ACK_REJECT => 3,
        KFK_PURGE_QUEUE => 1, KFK_PURGE_INFLIGHT => 2,
    );
}
use constant { map { substr($_, 4) => $CONSTANTS{$_} } keys %CONSTANTS };

sub constants { return {%CONSTANTS} }

# The public structs of kfk.h, every field in order with its pack letter.
# The header pads explicitly (reserved fields) and every field is
# naturally aligned, so a field's offset is the sum of the sizes before it.
# For each struct kfk_NAME_t this package has the constants NAME_PACK (the
# pack template) and NAME_SIZE, e.g. MESSAGE_PACK and MESSAGE_SIZE;
# t/05-abi.t checks sizes and offsets against the compiler's.
my %STRUCTS;
BEGIN {
    %STRUCTS = (
        kfk_val_t => [type => 'l', reserved => 'l', i => 'q', s => 'Q', n => 'Q', items => 'Q'],
        kfk_header_t => [key => 'Q', key_len => 'Q', value => 'Q', value_len => 'Q'],
        kfk_record_t => [key => 'Q', key_len => 'Q', value => 'Q', value_len => 'Q', headers => 'Q',
            header_count => 'Q', timestamp => 'q'],
        kfk_topic_partition_t => [topic => 'Q', partition => 'l', leader_epoch => 'l', offset => 'q',
            metadata => 'Q'],
        kfk_message_t => [topic => 'Q', partition => 'l', err => 'l', offset => 'q', timestamp => 'q',
            key => 'Q', key_len => 'Q', value => 'Q', value_len => 'Q', headers => 'Q', header_count => 'Q',
            opaque => 'Q', timestamp_type => 'l', reserved => 'l'],
        kfk_event_t => [type => 'l', err => 'l', errstr => 'Q', opaque => 'Q', source => 'Q', result => 'Q',
            msg => 'Q'],
        kfk_produce_opts_t => [acks => 'l', timeout_ms => 'l', compression => 'Q', producer_id => 'q',
            producer_epoch => 's', reserved => 's', base_sequence => 'l', transactional_id => 'Q'],
        kfk_fetch_opts_t => [max_bytes => 'l', max_wait_ms => 'l', min_bytes => 'l', isolation_level => 'l'],
        kfk_member_assignment_t => [member_id => 'Q', partitions => 'Q', n => 'Q'],
        kfk_scram_credential_t => [user => 'Q', mechanism => 'l', iterations => 'l', password => 'Q', password_len => 'Q',
            salt => 'Q', salt_len => 'Q'],
        kfk_new_topic_t => [name => 'Q', num_partitions => 'l', replication_factor => 's', reserved => 's',
            config => 'Q', config_n => 'Q'],
    );
}
use constant { map {
    my @spec = @{ $STRUCTS{$_} };
    my $letters = join '', map { $spec[2 * $_ + 1] } 0 .. $#spec / 2;
    (my $short = uc $_) =~ s/^KFK_(.*)_T$/$1/;
    ("${short}_PACK" => $letters, "${short}_SIZE" => length pack($letters))
} keys %STRUCTS };

# {struct => {size, fields => {field => offset}}}, as tests/abi/kfk_abi.py
# prints it.
sub struct_layouts {
    my %layouts;
    for my $name (keys %STRUCTS) {
        my @spec = @{ $STRUCTS{$name} };
        my ($offset, %fields) = (0);
        while (my ($field, $letter) = splice @spec, 0, 2) {
            $fields{$field} = $offset;
            $offset += length pack($letter, 0);
        }
        $layouts{$name} = { size => $offset, fields => \%fields };
    }
    return \%layouts;
}

use constant BATCH => 256;    # events pulled per call

# Templates that let pack and unpack follow pointers themselves ('p': a
# NUL-terminated string, 'P<n>': n bytes; a NULL pointer is undef both
# ways), so that a struct costs one pack or unpack and no FFI call.
# MESSAGE_OUT packs a kfk_message_t for kfk_produce from (topic, partition,
# err, offset, timestamp, key, key_len, value, value_len, headers,
# header_count, opaque, timestamp_type, reserved): topic, key and value
# must be live byte strings (or undef) until the call returns.
use constant MESSAGE_OUT => 'p l l q q p Q p Q Q Q Q l l';
# One kfk_event_t with its message read through: (type, err, errstr,
# opaque, source, result, message struct bytes or undef).
use constant EVENT_IN => 'l l p Q Q Q P' . MESSAGE_SIZE;
# A received message's fields from its struct bytes: (topic, partition,
# err, offset, timestamp, key, key_len, value, value_len, headers,
# header_count, opaque, timestamp_type, delivery_count); then
# unpack("P$key_len P$value_len", pack('QQ', $key, $value)) reads the key
# and the value. The delivery count is the field kfk.h keeps as
# `reserved`, which kfk_message_delivery_count reads: a share group
# record's count of deliveries, 0 for any other message.
use constant MESSAGE_IN => 'p l l q q Q Q Q Q Q Q Q l l';

# The headers of a received message as a hashref (undef without any).
sub headers_at {
    my ($h, $hn) = @_;
    return undef unless $hn;
    my %headers;
    my $all = buffer_to_scalar($h, HEADER_SIZE * $hn);
    for my $i (0 .. $hn - 1) {
        my ($hk, $hkl, $hv, $hvl) = unpack(HEADER_PACK, substr($all, HEADER_SIZE * $i, HEADER_SIZE));
        $headers{ $hkl ? buffer_to_scalar($hk, $hkl) : '' } = $hv ? buffer_to_scalar($hv, $hvl) : undef;
    }
    return \%headers;
}

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
    kfk_conn_set_kerberos      => [['opaque', 'string', 'string', 'string'], 'sint32'],
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
    kfk_client_producer_id     => [['opaque', 'sint64*', 'sint16*'], 'sint32'],
    kfk_produce                => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_produce_batch          => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_produce_many           => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_flush                  => [['opaque', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_client_close           => [['opaque', 'int', 'opaque', 'opaque'], 'sint32'],
    kfk_client_destroy         => [['opaque'], 'sint32'],
    kfk_assign                 => [['opaque', 'opaque', 'size_t'], 'sint32'],
    kfk_seek                   => [['opaque', 'string', 'sint32', 'sint64', 'opaque', 'opaque'], 'sint32'],
    kfk_pause                  => [['opaque', 'opaque', 'size_t'], 'sint32'],
    kfk_resume                 => [['opaque', 'opaque', 'size_t'], 'sint32'],
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
    kfk_admin_delete_groups    => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_list_share_groups      => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_describe_share_groups  => [['opaque', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_share_group_offsets    => [['opaque', 'string', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_alter_share_group_offsets  => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_admin_delete_share_group_offsets => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_subscribe              => [['opaque', 'opaque', 'size_t', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_oauthbearer_set_token  => [['opaque', 'string', 'sint64', 'string', 'opaque', 'size_t', 'opaque', 'size_t'], 'sint32'],
    kfk_oauthbearer_set_token_failure => [['opaque', 'string'], 'sint32'],
    kfk_commit                 => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_unsubscribe            => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_share_subscribe        => [['opaque', 'opaque', 'size_t', 'opaque', 'size_t'], 'sint32'],
    kfk_share_consume          => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_share_acknowledge      => [['opaque', 'string', 'sint32', 'sint64', 'int'], 'sint32'],
    kfk_share_commit           => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_share_unsubscribe      => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_begin              => [['opaque'], 'sint32'],
    kfk_txn_send_offsets       => [['opaque', 'string', 'opaque', 'size_t', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_commit             => [['opaque', 'opaque', 'opaque'], 'sint32'],
    kfk_txn_abort              => [['opaque', 'opaque', 'opaque'], 'sint32'],
);

# The producer's hot paths, attached as _NAME without the bytes() wrapper:
# their callers pass byte strings (downgraded already) and packed structs
# as 'string', which FFI::Platypus hands over as the scalar's own buffer.
my %RAW_SIGNATURES = (
    kfk_produce        => [['opaque', 'string', 'opaque'], 'sint32'],
    kfk_produce_values => [['opaque', 'string', 'sint32', 'string', 'string', 'string', 'string', 'size_t',
        'opaque', 'size_t', 'opaque', 'opaque', 'opaque'], 'sint32'],
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
        my ($args, $ret) = @{ $SIGNATURES{$name} };
        my @strings = grep { $args->[$_] eq 'string' } 0 .. $#$args;
        $ffi->attach($name => $args => $ret, @strings ? (_bytes_args(@strings)) : ());
    }
    $ffi->attach([$_ => "_$_"] => @{ $RAW_SIGNATURES{$_} }) for keys %RAW_SIGNATURES;
    $loaded_pid = $$;
}

# A wrapper for a function with 'string' arguments at @positions:
# FFI::Platypus passes a string's internal buffer, which holds UTF-8 when
# the string's UTF-8 flag is on, so such arguments go as bytes() copies.
sub _bytes_args {
    my @positions = @_;
    return sub {
        my $xsub = shift;
        return $xsub->(@_) unless grep { utf8::is_utf8($_[$_]) } @positions;
        my @args = @_;
        $args[$_] = bytes($args[$_]) for grep { defined $args[$_] } @positions;
        return $xsub->(@args);
    };
}

# $s as the library must get it: one byte per character. A string with the
# UTF-8 flag on holds its characters as UTF-8 internally; this is a
# downgraded copy (the caller's string is left alone). A character above
# 255 has no byte and croaks, as Perl's own I/O does.
sub bytes {
    my ($s) = @_;
    utf8::downgrade($s, 1) or _wide();
    return $s;
}

sub _wide { Carp::croak("Wide character in a byte string for EV::Kafka (encode text to bytes first)") }

# The NUL-terminated C string at address $p (unpack's 'p' reads it).
sub cstring {
    my ($p) = @_;
    return $p ? unpack('p', pack('Q', $p)) : undef;
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

# A byte buffer for the library: (pointer, length) of $bytes as bytes()
# makes it, kept in @$keep; (0, 0) for undef, Kafka's null.
sub buf {
    my ($keep, $bytes) = @_;    # a copy: downgrading it leaves the caller's string alone
    return (0, 0) unless defined $bytes;
    utf8::downgrade($bytes, 1) or _wide();
    push @$keep, \$bytes;
    return scalar_to_buffer($bytes);
}

sub ptr { return (buf(@_))[0] }

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

# A kfk_topic_partition_t array from [{topic, partition, leader_epoch, offset, metadata}].
sub tp_array {
    my ($keep, $tps) = @_;
    my $buf = join '', map {
        pack(TOPIC_PARTITION_PACK, cstr($keep, $_->{topic}), $_->{partition} // 0, $_->{leader_epoch} // -1,
            $_->{offset} // 0, cstr($keep, $_->{metadata}))
    } @$tps;
    return ptr($keep, length $buf ? $buf : "\0" x TOPIC_PARTITION_SIZE);
}

# A kfk_new_topic_t array from [{name, num_partitions, replication_factor, config => {}}].
sub new_topics {
    my ($keep, $topics) = @_;
    my $buf = join '', map {
        my $cfg = $_->{config} || {};
        my @kv = map { ($_, $cfg->{$_}) } sort keys %$cfg;
        pack(NEW_TOPIC_PACK, cstr($keep, $_->{name}), $_->{num_partitions} // -1,
            $_->{replication_factor} // -1, 0, @kv ? str_array($keep, \@kv) : 0, @kv / 2)
    } @$topics;
    return ptr($keep, length $buf ? $buf : "\0" x NEW_TOPIC_SIZE);
}

# A kfk_member_assignment_t array from [{member_id, topics => [{topic, partitions => [...]}]}]
# ("assignment" is accepted for "topics").
sub member_assignments {
    my ($keep, $assignments) = @_;
    my $buf = join '', map {
        my $a = $_;
        my @tps = map { my $t = $_; map { { topic => $t->{topic}, partition => $_ } } @{ $t->{partitions} } }
            @{ $a->{topics} // $a->{assignment} // [] };
        pack(MEMBER_ASSIGNMENT_PACK, cstr($keep, $a->{member_id}), tp_array($keep, \@tps), scalar @tps)
    } @$assignments;
    return length $buf ? ptr($keep, $buf) : 0;
}

# A kfk_header_t array from a hashref or an arrayref of pairs: (pointer, count).
sub headers {
    my ($keep, $h) = @_;
    return (0, 0) unless $h;
    my @pairs = ref $h eq 'HASH' ? map { [$_, $h->{$_}] } sort keys %$h
              : map { [$h->[2 * $_], $h->[2 * $_ + 1]] } 0 .. $#$h / 2;
    return (0, 0) unless @pairs;
    my $buf = join '', map {
        my ($k, $v) = @$_;
        pack(HEADER_PACK, buf($keep, $k), buf($keep, $v))
    } @pairs;
    return (ptr($keep, $buf), scalar @pairs);
}

# A kfk_record_t array from [{key, value, headers, timestamp}].
sub records {
    my ($keep, $records) = @_;
    my $buf = join '', map {
        my ($hp, $hn) = headers($keep, $_->{headers});
        pack(RECORD_PACK, buf($keep, $_->{key}), buf($keep, $_->{value}), $hp, $hn, $_->{timestamp} // -1)
    } @$records;
    return ptr($keep, $buf);
}

# A kfk_message_t for produce from {topic, partition, key, value, headers, timestamp, opaque}.
sub message {
    my ($keep, $m) = @_;
    my ($hp, $hn) = headers($keep, $m->{headers});
    return pack(MESSAGE_PACK, cstr($keep, $m->{topic}), $m->{partition} // -1, 0, -1,
        $m->{timestamp} // -1, buf($keep, $m->{key}), buf($keep, $m->{value}), $hp, $hn, $m->{opaque} // 0, 0, 0);
}

# A kfk_produce_opts_t from Conn produce's options.
sub produce_opts {
    my ($keep, $o) = @_;
    return ptr($keep, pack(PRODUCE_OPTS_PACK, $o->{acks} // 1, $o->{timeout_ms} // 30000,
        cstr($keep, $o->{compression}), $o->{producer_id} // -1, $o->{producer_epoch} // -1, 0,
        $o->{base_sequence} // -1, cstr($keep, $o->{transactional_id})));
}

# A kfk_fetch_opts_t from Conn fetch's options.
sub fetch_opts {
    my ($keep, $o) = @_;
    return ptr($keep, pack(FETCH_OPTS_PACK, $o->{max_bytes} // 1048576, $o->{max_wait_ms} // 500,
        $o->{min_bytes} // 1, $o->{isolation_level} // 0));
}

# ---- result trees and messages ----------------------------------------------

# A kfk_message_t, given as its struct bytes (EVENT_IN reads them), as a
# hashref: topic, partition, err, offset, timestamp, timestamp_type
# (TIMESTAMP_*), key, value; headers as a hashref when present;
# delivery_count for a share group's record.
sub message_at {
    my ($topic, $partition, $err, $offset, $ts, $k, $kl, $v, $vl, $h, $hn, undef, $ts_type, $deliveries) =
        unpack(MESSAGE_IN, $_[0]);
    my %m = (topic => $topic, partition => $partition, err => $err, offset => $offset, timestamp => $ts,
        timestamp_type => $ts_type);
    @m{qw(key value)} = unpack("P$kl P$vl", pack('QQ', $k, $v));
    $m{headers} = headers_at($h, $hn) if $hn;
    $m{delivery_count} = $deliveries if $deliveries;
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
    my ($type, undef, $i, $s, $n, $items) = unpack(VAL_PACK, $node);
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
