package EV::Kafka::Queue;

# The event queue shared by every EV::Kafka object of a process: one
# kfk_queue_t, one EV::io watcher on its descriptor. When the descriptor is
# readable, events are pulled in batches (kfk_poll_batch) and dispatched to
# Perl closures by tag, on the EV loop's thread; libkfk never calls into
# Perl from its own threads.

use strict;
use warnings;
use Carp ();
use Scalar::Util ();
use EV;
use FFI::Platypus::Buffer qw(scalar_to_buffer);
use Kfk::FFI;

our $VERSION = '0.4.0';

my %queues;    # loop address => queue, for this process

# Opaques from SLOT on name a slot of the queue's array of produce
# callbacks (slot = opaque - SLOT), reused through its free list; smaller
# ones are tags of the handlers hash. With many records in flight an
# array slot costs far less than a hash entry to fill and to empty.
use constant SLOT => 2**48;

sub shared {
    my ($class, $loop) = @_;
    $loop ||= EV::default_loop;
    Kfk::FFI::check_pid();
    return $queues{ 0 + $loop } ||= $class->_new($loop);
}

sub _new {
    my ($class, $loop) = @_;
    Kfk::FFI::load();
    my $q;
    my $rc = Kfk::FFI::kfk_queue_new(\$q);
    Carp::croak("kfk_queue_new: " . Kfk::FFI::kfk_err_string($rc)) if $rc;
    my $self = bless {
        handle   => $q,
        loop     => $loop,
        pid      => $$,
        handlers => {},
        sources  => {},    # a client's handle => the tag of its event handler
        slots    => [],    # produce callbacks, by opaque - SLOT
        free     => [],    # slots to reuse
        next_tag => 1,
        events   => "\0" x (Kfk::FFI::EVENT_SIZE * Kfk::FFI::BATCH),
    }, $class;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    $self->{watcher} = $loop->io(Kfk::FFI::kfk_queue_fd($q), EV::READ, sub { $weak->drain if $weak });
    return $self;
}

sub handle { $_[0]{handle} }

# Registers a handler for one event (or all events of a tag when
# $persistent) and returns the tag to pass as the call's opaque. The
# handler gets ($type, $result, $errstr, $err, $data). Passing per-call
# state as $data to a named handler, rather than a new closure per call,
# matters on hot paths: Perl frees each anonymous sub by searching its
# package's list of back-references, which grows with every closure alive.
sub register {
    my ($self, $handler, $persistent, $data) = @_;
    return $self->register_tag($self->new_tag, $handler, $persistent, $data);
}

# A tag for a call whose handler is registered (register_tag) only once
# the call was accepted: events are dispatched from the loop, never during
# a call, so none can come before.
sub new_tag { return $_[0]{next_tag}++ }

sub register_tag {
    my ($self, $tag, $handler, $persistent, $data) = @_;
    $self->{handlers}{$tag} = [$handler, $persistent, $data];
    return $tag;
}

# Runs $cb->(@args) soon from the loop: for an outcome known at once that
# must not reach a callback inside the call that caused it.
sub later {
    my ($self, $cb, @args) = @_;
    my $w;
    $w = $self->{loop}->timer(0, 0, sub { undef $w; $cb->(@args) });
    return;
}

# Registers a one-shot request whose callback gets ($result) on success
# and (undef, $error_string) on failure.
sub register_request {
    my ($self, $cb) = @_;
    return $self->register(\&_request_done, 0, $cb);
}

sub _request_done {
    my (undef, $result, $errstr, undef, $cb) = @_;
    $cb->($errstr ? (undef, $errstr) : ($result)) if $cb;
}

sub forget { delete $_[0]{handlers}{ $_[1] } }

# Dispatches every waiting event without blocking. A handler entry is
# [$handler, $persistent, $data, $on_message] (on_message: MESSAGE events
# go straight to it as its arguments); a slot's callback gets EV::Kafka's
# produce result.
sub drain {
    my ($self, $timeout_ms) = @_;
    return if $self->{pid} != $$;
    my ($buf) = scalar_to_buffer($self->{events});
    my ($handlers, $slots) = @{$self}{qw(handlers slots)};
    my $total = 0;
    while (1) {
        my $n = Kfk::FFI::kfk_poll_batch($self->{handle}, $buf, Kfk::FFI::BATCH, $timeout_ms // 0);
        last if $n <= 0;
        $total += $n;
        my @events = unpack('(' . Kfk::FFI::EVENT_IN . ")$n", $self->{events});
        while (@events) {
            my ($type, $err, $errstr, $tag, $source, $result_p, $msg) = splice @events, 0, 7;
            if ($tag >= SLOT) {    # produce's callback: ($result, $error)
                my $cb = $slots->[$tag - SLOT];
                $slots->[$tag - SLOT] = undef;
                push @{ $self->{free} }, $tag - SLOT;
                # As Kafka's produce response: log_append_time is the broker's
                # time for a LogAppendTime topic, -1 otherwise.
                my ($topic, $partition, undef, $offset, $ts, $ts_type) = unpack('p l l q q x56 l', $msg);
                $cb->({ topics => [{ topic => $topic, partitions => [{ partition => $partition,
                    error_code => $err > 0 ? $err : 0, base_offset => $offset, timestamp => $ts,
                    log_append_time => $ts_type == Kfk::FFI::TIMESTAMP_LOG_APPEND_TIME ? $ts : -1 }] }] },
                    $err ? $errstr : undef);
                next;
            }
            # no opaque (a failed record produced without a callback): the
            # handler of the client it comes from
            my $entry = $handlers->{ $tag || $self->{sources}{$source} || 0 } or next;
            if ($entry->[3] && $type == Kfk::FFI::EVENT_MESSAGE) {
                my ($topic, $partition, undef, $offset, undef, $k, $kl, $v, $vl, $h, $hn) =
                    unpack(Kfk::FFI::MESSAGE_IN, $msg);
                $entry->[3]->($topic, $partition, $offset, unpack("P$kl P$vl", pack('QQ', $k, $v)),
                    $hn ? Kfk::FFI::headers_at($h, $hn) : undef);
                next;
            }
            delete $handlers->{$tag} unless $entry->[1];
            my $result = $result_p ? Kfk::FFI::val_at($result_p)
                       : $msg      ? Kfk::FFI::message_at($msg) : undef;
            $entry->[0]->($type, $result, $err ? $errstr : undef, $err, $entry->[2]);
        }
        last if $n < Kfk::FFI::BATCH;
        $timeout_ms = 0;
    }
    return $total;
}

1;
