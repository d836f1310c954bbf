# frozen_string_literal: true

require "json"
require "logger"
require_relative "kfk/ffi"

# Kafka client over libkfk. Events are pulled from the library in batches
# on the Ruby thread that polls (Kfk::Queue#poll, or #wait_readable on its
# IO); libkfk never calls into Ruby from its own threads.
module Kfk
  VERSION = "0.4.0"

  # An error from libkfk or a broker, with its code and symbolic name.
  class Error < StandardError
    attr_reader :code, :name

    def initialize(code, message = nil)
      @code = code
      @name = Kfk.error_name(code)
      super("#{@name}: #{message || Kfk.error_string(code)}")
    end
  end

  # Using an object created before fork() in the child.
  class ForkedError < Error; end

  # Records produced without a block that failed: failures holds a
  # [report, error] pair each (report: a Message naming the topic and
  # partition). The code and name are the first failure's.
  class DeliveryError < Error
    attr_reader :failures

    def initialize(failures)
      @failures = failures
      first = failures.first[1]
      super(first.code, "#{failures.size} record(s) produced without a block failed; the first: #{first.message}")
    end
  end

  def self.check(code, what)
    raise Error.new(code, "#{what}: #{Kfk.error_string(code)}") unless code.zero?
  end

  def self.murmur2(key)
    Kfk::FFI.load!
    Kfk::FFI.kfk_murmur2(::FFI::MemoryPointer.from_string(key), key.bytesize)
  end

  def self.crc32c(data)
    Kfk::FFI.load!
    Kfk::FFI.kfk_crc32c(::FFI::MemoryPointer.from_string(data), data.bytesize)
  end

  # The library's name for any code (an Error may be made before anything
  # else loaded the library).
  def self.error_name(code)
    Kfk::FFI.load!
    Kfk::FFI.kfk_err_name(code).force_encoding(Encoding::UTF_8)
  end

  # The library's one-line description of any code.
  def self.error_string(code)
    Kfk::FFI.load!
    Kfk::FFI.kfk_err_string(code).force_encoding(Encoding::UTF_8)
  end

  # A consumed message, or (without key/value) a delivery report.
  # timestamp_type says what timestamp is: Kfk::FFI::TIMESTAMP_CREATE_TIME,
  # TIMESTAMP_LOG_APPEND_TIME or TIMESTAMP_NOT_AVAILABLE. delivery_count:
  # for a share group's record (Client#share_consume), how many times the
  # group has handed it out, this time included; nil for other messages.
  Message = Struct.new(:topic, :partition, :offset, :timestamp, :key, :value, :headers, :timestamp_type,
                       :delivery_count)

  # The headers of a message that has none (and of every delivery report).
  NO_HEADERS = [].freeze

  M_TOPIC = Kfk::FFI::Message.offset_of(:topic)
  M_PARTITION = Kfk::FFI::Message.offset_of(:partition)
  M_OFFSET = Kfk::FFI::Message.offset_of(:offset)
  M_TIMESTAMP = Kfk::FFI::Message.offset_of(:timestamp)
  M_KEY = Kfk::FFI::Message.offset_of(:key)
  M_KEY_LEN = Kfk::FFI::Message.offset_of(:key_len)
  M_VALUE = Kfk::FFI::Message.offset_of(:value)
  M_VALUE_LEN = Kfk::FFI::Message.offset_of(:value_len)
  M_HEADER_COUNT = Kfk::FFI::Message.offset_of(:header_count)
  # timestamp_type, then the field kfk.h keeps as reserved, which
  # kfk_message_delivery_count reads (a share group record's delivery
  # count, 0 for other messages): one 8-byte word, read as one on the
  # little-endian machines Go's cgo targets here.
  M_TIMESTAMP_TYPE = Kfk::FFI::Message.offset_of(:timestamp_type)
  private_constant :M_TOPIC, :M_PARTITION, :M_OFFSET, :M_TIMESTAMP, :M_KEY, :M_KEY_LEN, :M_VALUE, :M_VALUE_LEN,
                   :M_HEADER_COUNT, :M_TIMESTAMP_TYPE

  # The address space as one Pointer: the ffi gem bounds a Pointer made
  # from an address only by LONG_MAX, so MEMORY reads what lies at an
  # address a at offset a - ORIGIN, without a Pointer object per read.
  # (ORIGIN is 1, not 0: the NULL Pointer refuses every read.)
  ORIGIN = 1
  MEMORY = ::FFI::Pointer.new(ORIGIN)
  private_constant :ORIGIN, :MEMORY

  # A Message of the kfk_message_t at address (or of m, a Pointer or a
  # Struct), read field by field at its offsets; key, value and headers
  # only with payload (a delivery report has none). topic: its name, when
  # the caller has it. It makes no object but the Message and its Strings.
  def self.message(m, payload, topic = nil)
    at = (m.is_a?(Integer) ? m : m.to_ptr.address) - ORIGIN
    topic ||= text_at_address(MEMORY.get_int64(at + M_TOPIC))
    # timestamp_type and the delivery count share the last 8-byte word
    last = MEMORY.get_int64(at + M_TIMESTAMP_TYPE)
    unless payload
      return Message.new(topic, MEMORY.get_int32(at + M_PARTITION), MEMORY.get_int64(at + M_OFFSET),
                         MEMORY.get_int64(at + M_TIMESTAMP), nil, nil, NO_HEADERS, last & 0xffff_ffff)
    end

    k = MEMORY.get_int64(at + M_KEY)
    v = MEMORY.get_int64(at + M_VALUE)
    deliveries = last >> 32
    Message.new(topic, MEMORY.get_int32(at + M_PARTITION), MEMORY.get_int64(at + M_OFFSET),
                MEMORY.get_int64(at + M_TIMESTAMP),
                k.zero? ? nil : MEMORY.get_bytes(k - ORIGIN, MEMORY.get_int64(at + M_KEY_LEN)),
                v.zero? ? nil : MEMORY.get_bytes(v - ORIGIN, MEMORY.get_int64(at + M_VALUE_LEN)),
                MEMORY.get_int64(at + M_HEADER_COUNT).zero? ? NO_HEADERS : headers(Kfk::FFI::Message.new(MEMORY + at)),
                last & 0xffff_ffff, deliveries.zero? ? nil : deliveries)
  end

  # The NUL-terminated UTF-8 text at address (a name, a message); nil for NULL.
  def self.text_at_address(address)
    address.zero? ? nil : MEMORY.get_string(address - ORIGIN).force_encoding(Encoding::UTF_8)
  end

  # A message's headers, [[key, value]...]: keys are text, values bytes.
  def self.headers(m)
    Array.new(m[:header_count]) do |i|
      h = Kfk::FFI::Header.new(m[:headers] + i * Kfk::FFI::Header.size)
      key = Kfk::FFI.bytes_at(h[:key], h[:key_len])&.force_encoding(Encoding::UTF_8) # header keys are text
      [key, Kfk::FFI.bytes_at(h[:value], h[:value_len])]
    end
  end

  # A kfk_queue_t: completions of the objects attached to it.
  #
  # Events are pulled BATCH at a time into one buffer and read as integers
  # (kfk_event_t is six 8-byte words); a result is built only for an event
  # someone waits for. One-shot handlers (a request, a produced record's
  # block) sit in array slots, their tag being the slot's number;
  # persistent ones (a client's own events, a consume call, a group) in a
  # Hash, with tags above the slots'.
  class Queue
    BATCH = 1024
    # A poll dispatches at most this many events (it stops sooner once the
    # queue is empty), so that a busy queue cannot keep it forever.
    BUDGET = 64 * BATCH
    PERSISTENT = 1 << 40
    # kfk_event_t as 8-byte words: type and err share the first (type in
    # its low half on the little-endian machines Go's cgo targets here).
    EV_WORDS = Kfk::FFI::Event.size / 8
    EV_ERRSTR = Kfk::FFI::Event.offset_of(:errstr) / 8
    EV_OPAQUE = Kfk::FFI::Event.offset_of(:opaque) / 8
    EV_SOURCE = Kfk::FFI::Event.offset_of(:source) / 8
    EV_RESULT = Kfk::FFI::Event.offset_of(:result) / 8
    EV_MSG = Kfk::FFI::Event.offset_of(:msg) / 8
    private_constant :EV_WORDS, :EV_ERRSTR, :EV_OPAQUE, :EV_SOURCE, :EV_RESULT, :EV_MSG

    # A persistent handler that gathers the Messages of its tag's MESSAGE
    # events into messages (dispatch appends them itself, without a call
    # each) and passes its other events to done.call(type, result, error).
    Collector = Struct.new(:messages, :done) do
      def call(type, result, error)
        done.call(type, result, error)
      end
    end

    def initialize
      raise ForkedError.new(Kfk::FFI::ERR_FORKED, "libkfk was loaded before fork()") if Kfk::FFI.forked?

      Kfk::FFI.load!
      out = ::FFI::MemoryPointer.new(:pointer)
      Kfk.check(Kfk::FFI.kfk_queue_new(out), "kfk_queue_new")
      @handle = out.read_pointer
      @pid = Process.pid
      @events = ::FFI::MemoryPointer.new(Kfk::FFI::Event, BATCH)
      @slots = [nil] # tag 0 is no tag
      @free = []
      @persistent = {}
      @next_persistent = PERSISTENT
      @sources = {}
      @io = IO.for_fd(Kfk::FFI.kfk_queue_fd(@handle), autoclose: false)
    end

    # An IO that is readable while events wait: use with IO.select,
    # #wait_readable, or a Fiber scheduler.
    attr_reader :io

    def handle
      raise ForkedError.new(Kfk::FFI::ERR_FORKED, "this object belongs to the parent process") if @pid != Process.pid
      raise Error.new(Kfk::FFI::ERR_CLOSED, "the queue is closed") unless @handle

      @handle
    end

    # Reserves a tag for one event, whose (result, error) go to handler
    # (anything answering call, such as a Request or a block). With
    # persistent: true, the tag's every event goes to handler.call(type,
    # result, error) until #forget.
    def register(handler = nil, persistent: false, &block)
      handler ||= block
      if persistent
        @persistent[@next_persistent += 1] = handler
        @next_persistent
      elsif (tag = @free.pop)
        @slots[tag] = handler
        tag
      else
        @slots << handler
        @slots.size - 1
      end
    end

    def forget(tag)
      return @persistent.delete(tag) if tag >= PERSISTENT

      @slots[tag] = nil
      @free << tag
    end

    # Events that come without a tag (the failed delivery of a record
    # produced without one) from the object whose handle is source go to
    # handler.call(type, result, error).
    def route_untagged(source, handler)
      @sources[signed(source.address)] = handler
    end

    def unroute_untagged(source)
      @sources.delete(signed(source.address))
    end

    # Dispatches waiting events, waiting up to timeout seconds (nil: until
    # one arrives), until the queue is empty or BUDGET events were
    # dispatched; returns how many. The wait happens in the io, so other
    # threads and fibers run.
    def poll(timeout = 0)
      deadline = timeout && Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      loop do
        total = n = take
        if n.positive?
          total += (n = take) while n == BATCH && total < BUDGET
          return total
        end

        left = deadline && deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        return 0 if left && left <= 0

        @io.wait_readable(left)
      end
    end

    def close
      return unless @handle && @pid == Process.pid

      Kfk.check(Kfk::FFI.kfk_queue_destroy(@handle), "close the objects using this queue first")
      @handle = nil
    end

    private

    # One kfk_poll_batch, its events dispatched.
    def take
      n = Kfk::FFI.kfk_poll_batch(handle, @events, BATCH, 0)
      raise Error.new(n, "kfk_poll_batch") if n.negative?

      dispatch(n) if n.positive?
      n
    end

    def dispatch(n)
      words = @events.get_array_of_int64(0, EV_WORDS * n)
      @topic_at = nil # names are copied once per poll: one String each
      i = 0
      while i < n
        w = EV_WORDS * i
        i += 1
        tag = words[w + EV_OPAQUE]
        if tag >= PERSISTENT
          handler = @persistent[tag] or next
          if handler.instance_of?(Collector) && words[w] & 0xffff_ffff == Kfk::FFI::EVENT_MESSAGE
            handler.messages << message(words[w + EV_MSG], true)
            next
          end
        elsif tag.positive?
          once = @slots[tag] or next
          forget(tag)
        else
          handler = @sources[words[w + EV_SOURCE]] or next
        end
        type = words[w] & 0xffff_ffff
        code = words[w] >> 32
        error = code.zero? ? nil : Error.new(code, Kfk.text_at_address(words[w + EV_ERRSTR]))
        result = if (msg = words[w + EV_MSG]) != 0
                   message(msg, type == Kfk::FFI::EVENT_MESSAGE)
                 elsif (tree = words[w + EV_RESULT]) != 0
                   Kfk::FFI.tree(Kfk::FFI::Val.new(::FFI::Pointer.new(tree)))
                 end
        if once
          once.call(result, error)
          once = nil
        else
          handler.call(type, result, error)
        end
      end
    end

    # An address as dispatch reads it (a signed 64-bit word).
    def signed(address)
      address >= 1 << 63 ? address - (1 << 64) : address
    end

    # The Message at address, its topic's name read once per poll (the
    # library copies a name once per poll, so one address is one name).
    def message(address, payload)
      t = MEMORY.get_int64(address - ORIGIN + M_TOPIC)
      if t != @topic_at
        @topic_at = t
        @topic = Kfk.text_at_address(t)
      end
      Kfk.message(address, payload, @topic)
    end
  end

  # A request in flight; #value waits for it.
  class Request
    def initialize(queue, callback)
      @queue = queue
      @callback = callback
      @done = false
    end

    attr_reader :error

    def done?
      @done
    end

    def complete(result, error)
      @result = result
      @error = error
      @done = true
      @callback&.call(result, error)
    end

    # As a queue handler: the event completes the request.
    def call(result, error)
      complete(result, error)
    end

    def value(timeout = 30)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      until @done
        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        raise Error.new(Kfk::FFI::ERR_TIMED_OUT, "the request did not complete in time") if left <= 0

        @queue.poll([left, 0.1].min)
      end
      raise @error if @error

      @result
    end
  end

  # What Conn and Client share to call the library: requests completed by
  # RESULT events, and Ruby values packed into C buffers that live until
  # the call returns (the library copies what it keeps).
  module CallHelpers
    private

    # Sends one call (the block gets the tag to pass as its opaque) and
    # returns the Request its RESULT event completes.
    def request(callback = nil)
      req = Request.new(@queue, callback)
      tag = @queue.register(req)
      code = yield tag
      unless code.zero?
        @queue.forget(tag)
        raise Error, code
      end
      req
    end

    def keep_ptr(keep, str)
      ptr = ::FFI::MemoryPointer.from_string(str.to_s.b)
      keep << ptr
      ptr
    end

    def bytes(keep, value)
      return [nil, 0] if value.nil?

      s = value.to_s.b
      ptr = ::FFI::MemoryPointer.new(:char, [s.bytesize, 1].max)
      ptr.put_bytes(0, s)
      keep << ptr
      [ptr, s.bytesize]
    end

    # A record's timestamp for the library: milliseconds since the epoch
    # as given (0 is a valid time); nil or negative means "now" (-1).
    def timestamp_ms(timestamp)
      timestamp.nil? || timestamp.negative? ? -1 : timestamp
    end

    def headers(keep, hdrs)
      return [nil, 0] if hdrs.nil? || hdrs.empty?

      arr = ::FFI::MemoryPointer.new(Kfk::FFI::Header, hdrs.size)
      keep << arr
      hdrs.each_with_index do |(k, v), i|
        h = Kfk::FFI::Header.new(arr + i * Kfk::FFI::Header.size)
        h[:key], h[:key_len] = bytes(keep, k.to_s)
        h[:value], h[:value_len] = bytes(keep, v)
      end
      [arr, hdrs.size]
    end

    # A char*[] of strings; nil entries stay NULL.
    def string_array(strings)
      keep = strings.map { |s| s.nil? ? nil : ::FFI::MemoryPointer.from_string(s.to_s) }
      arr = ::FFI::MemoryPointer.new(:pointer, [strings.size, 1].max)
      arr.write_array_of_pointer(keep.map { |p| p || ::FFI::Pointer::NULL })
      keep << arr
      [keep, arr]
    end

    # A kfk_topic_partition_t[] of [{topic:, partition:, offset:, metadata:}].
    def tp_array(keep, list)
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::TopicPartition, [list.size, 1].max)
      keep << arr
      list.each_with_index do |e, i|
        tp = Kfk::FFI::TopicPartition.new(arr + i * Kfk::FFI::TopicPartition.size)
        tp[:topic] = keep_ptr(keep, e.fetch(:topic))
        tp[:partition] = e.fetch(:partition, 0)
        tp[:leader_epoch] = e.fetch(:leader_epoch, -1)
        tp[:offset] = e.fetch(:offset, Kfk::FFI::OFFSET_LATEST)
        tp[:metadata] = e[:metadata] ? keep_ptr(keep, e[:metadata]) : nil
      end
      arr
    end

    # A kfk_new_topic_t[] of [{name:, num_partitions:, replication_factor:, config: {}}].
    def new_topic_array(keep, topics)
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::NewTopic, [topics.size, 1].max)
      keep << arr
      topics.each_with_index do |t, i|
        nt = Kfk::FFI::NewTopic.new(arr + i * Kfk::FFI::NewTopic.size)
        nt[:name] = keep_ptr(keep, t.fetch(:name))
        nt[:num_partitions] = t.fetch(:num_partitions, -1)
        nt[:replication_factor] = t.fetch(:replication_factor, -1)
        config = (t[:config] || {}).flat_map { |k, v| [k.to_s, v.to_s] }
        ckeep, carr = string_array(config)
        keep.concat(ckeep)
        nt[:config] = carr
        nt[:config_n] = config.size / 2
      end
      arr
    end
  end

  # One broker connection: the low-level Conn API.
  class Conn
    include CallHelpers

    attr_reader :queue

    def initialize(queue = nil, client_id: nil)
      @queue = queue || Queue.new
      out = ::FFI::MemoryPointer.new(:pointer)
      Kfk.check(Kfk::FFI.kfk_conn_new(@queue.handle, out), "kfk_conn_new")
      @handle = out.read_pointer
      @on = {}
      tag = @queue.register(persistent: true) { |type, _result, error| connection_event(type, error) }
      Kfk::FFI.kfk_conn_set_event_handler(@handle, nil, tag)
      Kfk.check(Kfk::FFI.kfk_conn_set_client_id(@handle, client_id), "client_id") if client_id
    end

    def on_connect(&block) = @on[:connect] = block
    def on_error(&block) = @on[:error] = block
    def on_disconnect(&block) = @on[:disconnect] = block

    # Connects; returns a Request whose #value waits until ready.
    def connect(host, port, timeout: 5.0)
      raise TypeError, "port must be an Integer" unless port.is_a?(Integer)

      @connecting = Request.new(@queue, nil)
      Kfk.check(Kfk::FFI.kfk_conn_connect(handle, host, port, (timeout * 1000).to_i), "connect")
      @connecting
    end

    def connected? = Kfk::FFI.kfk_conn_connected(handle) == 1
    def state = Kfk::FFI.kfk_conn_state(handle)
    def pending = Kfk::FFI.kfk_conn_pending(handle)
    def disconnect = Kfk.check(Kfk::FFI.kfk_conn_disconnect(handle), "disconnect")

    def tls(enable = true, ca_file: nil, skip_verify: false)
      Kfk.check(Kfk::FFI.kfk_conn_set_tls(handle, enable ? 1 : 0, ca_file, skip_verify ? 1 : 0, nil), "tls")
    end

    # With GSSAPI, username is the client's Kerberos principal and password
    # its password; without them the keytab's principal (see #kerberos) or
    # the credential cache's is used.
    def sasl(mechanism, username = nil, password = nil)
      Kfk.check(Kfk::FFI.kfk_conn_set_sasl(handle, mechanism, username, password), "sasl")
    end

    # GSSAPI, after sasl("GSSAPI", principal, password): the brokers'
    # Kerberos service (nil: "kafka"), a keytab to log in with and the
    # krb5.conf to read (nil: $KRB5_CONFIG, then /etc/krb5.conf). Raises
    # KFK_ERR_STATE before sasl("GSSAPI", ...).
    def kerberos(service_name = nil, keytab = nil, config = nil)
      Kfk.check(Kfk::FFI.kfk_conn_set_kerberos(handle, service_name, keytab, config), "kerberos")
    end

    def close
      return unless @handle

      Kfk::FFI.kfk_conn_destroy(@handle) unless Kfk::FFI.forked?
      @handle = nil
    end

    def metadata(topics = nil, &callback)
      return request(callback) { |tag| Kfk::FFI.kfk_conn_metadata(handle, nil, -1, nil, tag) } if topics.nil?

      keep, arr = string_array(topics)
      request(callback) { |tag| Kfk::FFI.kfk_conn_metadata(handle, arr, topics.size, nil, tag) }.tap { keep.clear }
    end

    def produce(topic, partition, key, value, headers: nil, timestamp: nil, acks: 1, compression: nil, &callback)
      produce_batch(topic, partition, [{ key: key, value: value, headers: headers, timestamp: timestamp }],
                    acks: acks, compression: compression, &callback)
    end

    def produce_batch(topic, partition, records, acks: 1, compression: nil, &callback)
      raise ArgumentError, "produce_batch needs at least one record" if records.empty?

      keep = []
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::Record, records.size)
      records.each_with_index do |r, i|
        rec = Kfk::FFI::Record.new(arr + i * Kfk::FFI::Record.size)
        rec[:key], rec[:key_len] = bytes(keep, r[:key])
        rec[:value], rec[:value_len] = bytes(keep, r[:value])
        rec[:headers], rec[:header_count] = headers(keep, r[:headers])
        rec[:timestamp] = timestamp_ms(r[:timestamp])
      end
      opts = Kfk::FFI::ProduceOpts.new
      opts[:acks] = acks
      opts[:timeout_ms] = 30_000
      opts[:compression] = compression ? keep_ptr(keep, "#{compression}\0") : nil
      opts[:producer_id] = -1
      opts[:producer_epoch] = -1
      opts[:base_sequence] = -1
      request(callback) { |tag| Kfk::FFI.kfk_conn_produce_batch(handle, topic, partition, arr, records.size, opts, nil, tag) }
    end

    def fetch(topic, partition, offset, max_bytes: 1 << 20, max_wait_ms: 500, min_bytes: 1, &callback)
      keep = []
      tp = Kfk::FFI::TopicPartition.new
      tp[:topic] = keep_ptr(keep, "#{topic}\0")
      tp[:partition] = partition
      tp[:leader_epoch] = -1
      tp[:offset] = offset
      opts = Kfk::FFI::FetchOpts.new
      opts[:max_bytes] = max_bytes
      opts[:max_wait_ms] = max_wait_ms
      opts[:min_bytes] = min_bytes
      request(callback) { |tag| Kfk::FFI.kfk_conn_fetch(handle, tp, 1, opts, nil, tag) }
    end

    def list_offsets(topic, partition, timestamp, &callback)
      request(callback) { |tag| Kfk::FFI.kfk_conn_list_offsets(handle, topic, partition, timestamp, nil, tag) }
    end

    def find_coordinator(key, key_type = 0, &callback)
      request(callback) { |tag| Kfk::FFI.kfk_conn_find_coordinator(handle, key, key_type, nil, tag) }
    end

    def create_topics(topics, timeout_ms = 30_000, &callback)
      keep = []
      arr = new_topic_array(keep, topics)
      request(callback) { |tag| Kfk::FFI.kfk_conn_create_topics(handle, arr, topics.size, timeout_ms, nil, tag) }
    end

    def delete_topics(names, timeout_ms = 30_000, &callback)
      keep, arr = string_array(names)
      request(callback) { |tag| Kfk::FFI.kfk_conn_delete_topics(handle, arr, names.size, timeout_ms, nil, tag) }
        .tap { keep.clear }
    end

    def init_producer_id(transactional_id = nil, txn_timeout_ms = 60_000, &callback)
      request(callback) { |tag| Kfk::FFI.kfk_conn_init_producer_id(handle, transactional_id, txn_timeout_ms, nil, tag) }
    end

    # Group calls (EV::Kafka::Conn's): results as documented in kfk.h.

    def join_group(group_id, member_id, topics, session_timeout_ms: 30_000, rebalance_timeout_ms: 60_000,
                   group_instance_id: nil, &callback)
      keep, arr = string_array(topics)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_join_group(handle, group_id, member_id || "", arr, topics.size, session_timeout_ms,
                                     rebalance_timeout_ms, group_instance_id, nil, tag)
      end.tap { keep.clear }
    end

    # assignments: { member_id => [{topic:, partition:}] } (the leader's plan; {} for the others).
    def sync_group(group_id, generation_id, member_id, assignments = {}, group_instance_id: nil, &callback)
      keep = []
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::MemberAssignment, [assignments.size, 1].max)
      assignments.each_with_index do |(member, parts), i|
        ma = Kfk::FFI::MemberAssignment.new(arr + i * Kfk::FFI::MemberAssignment.size)
        ma[:member_id] = keep_ptr(keep, member)
        ma[:partitions] = tp_array(keep, parts)
        ma[:n] = parts.size
      end
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_sync_group(handle, group_id, generation_id, member_id, arr, assignments.size,
                                     group_instance_id, nil, tag)
      end
    end

    def heartbeat(group_id, generation_id, member_id, group_instance_id: nil, &callback)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_heartbeat(handle, group_id, generation_id, member_id, group_instance_id, nil, tag)
      end
    end

    def leave_group(group_id, member_id, group_instance_id: nil, &callback)
      request(callback) { |tag| Kfk::FFI.kfk_conn_leave_group(handle, group_id, member_id, group_instance_id, nil, tag) }
    end

    # offsets: [{topic:, partition:, offset:, metadata:}]
    def offset_commit(group_id, generation_id, member_id, offsets, &callback)
      keep = []
      arr = tp_array(keep, offsets)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_offset_commit(handle, group_id, generation_id, member_id, arr, offsets.size, nil, tag)
      end
    end

    def offset_fetch(group_id, topics = [], &callback)
      keep, arr = string_array(topics)
      request(callback) { |tag| Kfk::FFI.kfk_conn_offset_fetch(handle, group_id, arr, topics.size, nil, tag) }
        .tap { keep.clear }
    end

    # Transaction calls, as the transaction coordinator takes them.

    def add_partitions_to_txn(transactional_id, producer_id, producer_epoch, partitions, &callback)
      keep = []
      arr = tp_array(keep, partitions)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_add_partitions_to_txn(handle, transactional_id, producer_id, producer_epoch, arr,
                                                partitions.size, nil, tag)
      end
    end

    def add_offsets_to_txn(transactional_id, producer_id, producer_epoch, group_id, &callback)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_add_offsets_to_txn(handle, transactional_id, producer_id, producer_epoch, group_id, nil, tag)
      end
    end

    def end_txn(transactional_id, producer_id, producer_epoch, commit, &callback)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_end_txn(handle, transactional_id, producer_id, producer_epoch, commit ? 1 : 0, nil, tag)
      end
    end

    def txn_offset_commit(transactional_id, group_id, producer_id, producer_epoch, offsets,
                          generation_id: -1, member_id: nil, &callback)
      keep = []
      arr = tp_array(keep, offsets)
      request(callback) do |tag|
        Kfk::FFI.kfk_conn_txn_offset_commit(handle, transactional_id, group_id, producer_id, producer_epoch,
                                            generation_id, member_id, arr, offsets.size, nil, tag)
      end
    end

    private

    def handle
      raise ForkedError.new(Kfk::FFI::ERR_FORKED, "this connection belongs to the parent process") if Kfk::FFI.forked?
      raise Error.new(Kfk::FFI::ERR_CLOSED, "the connection is closed") unless @handle

      @handle
    end

    def connection_event(type, error)
      pending, @connecting = @connecting, nil
      case type
      when Kfk::FFI::EVENT_CONNECT
        pending&.complete(true, nil)
        @on[:connect]&.call
      when Kfk::FFI::EVENT_ERROR
        pending&.complete(nil, error)
        @on[:error]&.call(error)
      when Kfk::FFI::EVENT_DISCONNECT
        @on[:disconnect]&.call(error)
      end
    end

  end
end
require_relative "kfk/client"
