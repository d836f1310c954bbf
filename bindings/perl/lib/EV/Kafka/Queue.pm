package EV::Kafka::Queue;

# The event queue shared by every EV::Kafka object of a process: one
# kfk_queue_t, one EV::io watcher on its descriptor. When the descriptor is
# readable, events are pulled in batches (kfk_poll_batch) and dispatched to
# Perl closures by tag, on the EV loop's thread; libkfk never calls into
# Perl from its own threads.
#
# The watcher keeps the loop alive only while some object has work left,
# as the XS module's sockets and timers do: a connected (or connecting)
# Client or Conn, or a callback still to come. Otherwise EV::run returns
# once the rest of the program has nothing to wait for either.

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

# A handler entry's kind (register's $persistent): ONCE goes with its
# event; STANDING serves every event of its tag until forgotten (event
# handlers); ROUND does too, but is a request under way until forgotten
# (a poll's messages, then its end). ONCE and ROUND count as pending.
use constant { ONCE => 0, STANDING => 1, ROUND => 2 };

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
        pending  => 0,     # ONCE and ROUND handlers, and filled slots
        busy     => {},    # objects whose connection keeps the loop alive
        kept     => 0,     # the watcher's keepalive
        events   => "\0" x (Kfk::FFI::EVENT_SIZE * Kfk::FFI::BATCH),
    }, $class;
    my $weak = $self;
    Scalar::Util::weaken($weak);
    $self->{watcher} = $loop->io(Kfk::FFI::kfk_queue_fd($q), EV::READ, sub { $weak->drain if $weak });
    $self->{watcher}->keepalive(0);
    return $self;
}

# Whether the object $id (a Client or Conn) is connected or connecting,
# which keeps the loop alive until it is not.
sub busy {
    my ($self, $id, $busy) = @_;
    if ($busy) {
        $self->{busy}{$id} = 1;
    } else {
        delete $self->{busy}{$id};
    }
    $self->settle;
}

# Keeps the loop alive while an object is busy or a callback is pending.
sub settle {
    my ($self) = @_;
    return if ${^GLOBAL_PHASE} eq 'DESTRUCT';    # no loop runs again
    my $keep = %{ $self->{busy} } || $self->{pending} > 0 ? 1 : 0;
    return if $keep == $self->{kept};
    $self->{kept} = $keep;
    $self->{watcher}->keepalive($keep);
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
    my ($self, $tag, $handler, $persistent, @data) = @_;
    $self->{handlers}{$tag} = [$handler, $persistent, @data];
    if (($persistent // ONCE) != STANDING) {
        $self->{pending}++;
        $self->settle unless $self->{kept};
    }
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
# and (undef, $error_string) on failure; under $tag when given (new_tag).
sub register_request {
    my ($self, $cb, $tag) = @_;
    return $self->register_tag($tag // $self->new_tag, \&_request_done, ONCE, $cb);
}

sub _request_done {
    my (undef, $result, $errstr, undef, $cb) = @_;
    $cb->($errstr ? (undef, $errstr) : ($result)) if $cb;
}

sub forget {
    my ($self, $tag) = @_;
    my $entry = delete $self->{handlers}{$tag} or return;
    if (($entry->[1] // ONCE) != STANDING) {
        $self->{pending}--;
        $self->settle;
    }
}

# Dispatches every waiting event without blocking. A handler entry is
# [$handler, $persistent, $data, $on_message, $live] (on_message: MESSAGE
# events go straight to it as its arguments, once the offset of their
# partition's hash in $live, "partition topic" => a hash of assign's, is
# moved past them); a slot's callback gets EV::Kafka's produce result.
sub drain {
    my ($self, $timeout_ms) = @_;
    return if $self->{pid} != $$;
    my ($buf) = scalar_to_buffer($self->{events});
    my ($handlers, $slots) = @{$self}{qw(handlers slots)};
    my $total = 0;
    # The events after one whose callback died come first: each still has
    # its callback to run (what they point to lasts until the next poll).
    my $events = delete $self->{backlog} || [];
    my $more = 1;
    my $ok = eval {
        while (1) {
            while (@$events) {
                my ($type, $err, $errstr, $tag, $source, $result_p, $msg) = splice @$events, 0, 7;
                if ($tag >= SLOT) {    # produce's callback: ($result, $error)
                    my $cb = $slots->[$tag - SLOT];
                    $slots->[$tag - SLOT] = undef;
                    push @{ $self->{free} }, $tag - SLOT;
                    $self->{pending}--;
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
                    if ($entry->[4] and my $assigned = $entry->[4]{"$partition $topic"}) {
                        $assigned->{offset} = $offset + 1;
                    }
                    $entry->[3]->($topic, $partition, $offset, unpack("P$kl P$vl", pack('QQ', $k, $v)),
                        $hn ? Kfk::FFI::headers_at($h, $hn) : undef);
                    next;
                }
                unless ($entry->[1]) {
                    delete $handlers->{$tag};
                    $self->{pending}--;
                }
                my $result = $result_p ? Kfk::FFI::val_at($result_p)
                           : $msg      ? Kfk::FFI::message_at($msg) : undef;
                $entry->[0]->($type, $result, $err ? $errstr : undef, $err, $entry->[2]);
            }
            last unless $more;
            my $n = Kfk::FFI::kfk_poll_batch($self->{handle}, $buf, Kfk::FFI::BATCH, $timeout_ms // 0);
            last if $n <= 0;
            $total += $n;
            @$events = unpack('(' . Kfk::FFI::EVENT_IN . ")$n", $self->{events});
            $more = $n == Kfk::FFI::BATCH;
            $timeout_ms = 0;
        }
        1;
    };
    unless ($ok) {
        # A callback died: EV reports it; the rest of the batch runs next.
        my $error = $@;
        if (@$events) {
            $self->{backlog} = $events;
            my $weak = $self;
            Scalar::Util::weaken($weak);
            $self->later(sub { $weak->drain if $weak });
        }
        $self->settle;
        die $error;
    }
    $self->settle;
    return $total;
}

1;
