# frozen_string_literal: true

module Kfk
  # A cluster client: producer and consumer.
  #
  #   Kfk::Client.open(brokers: "127.0.0.1:9092", linger_ms: 5) do |kafka|
  #     kafka.produce("topic", "value", key: "k").value   # => delivery report
  #     kafka.assign([{ topic: "topic", partition: 0, offset: Kfk::FFI::OFFSET_EARLIEST }])
  #     kafka.each_message { |m| puts m.value }
  #   end
  class Client
    include CallHelpers
    attr_reader :queue

    def self.open(**options)
      client = new(**options)
      client.connect
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # Options are kfk's names (brokers:, acks:, linger_ms:, compression:...)
    # or librdkafka's as strings ("bootstrap.servers" => ...).
    # partitioner: ->(topic, key, partition_count) { partition } chooses
    # partitions in Ruby for records produced without one.
    # logger: a Logger for the library's log lines (log_level:, debug:
    # choose them; without a logger none are sent unless one of those is
    # given, then they go to a Logger on $stderr). on_stats: ->(hash) {}
    # gets the statistics every statistics_interval_ms (docs/STATISTICS.md).
    #
    # delivery_reports: "failed" makes produce without a block fire and
    # forget: it returns nil, and the library reports only the records that
    # fail, to on_delivery_error: ->(report, error) {}, or (without one)
    # kept until flush or close raises them as a Kfk::DeliveryError.
    def initialize(options = {}, queue: nil, on_error: nil, partitioner: nil, logger: nil, on_stats: nil,
                   on_delivery_error: nil, oauth_token: nil, **kwargs)
      @queue = queue || Queue.new
      @on_error = on_error
      @partitioner = partitioner
      @on_stats = on_stats
      @on_delivery_error = on_delivery_error
      @oauth_token = oauth_token
      @undelivered = []
      options = options.merge(kwargs)
      options = options.merge(sasl_oauthbearer_method: "application") if oauth_token
      @fire_and_forget = options.any? { |k, v| %w[delivery_reports delivery.reports].include?(k.to_s) && v.to_s == "failed" }
      asked = options.keys.map(&:to_s).intersect?(%w[log_level log.level debug])
      @logger = logger || (Logger.new($stderr, progname: "kfk") if asked)
      options = { log_level: "off" }.merge(options) unless @logger
      conf_out = ::FFI::MemoryPointer.new(:pointer)
      Kfk.check(Kfk::FFI.kfk_conf_new(conf_out), "kfk_conf_new")
      conf = conf_out.read_pointer
      err = ::FFI::MemoryPointer.new(:char, 512)
      begin
        options.each do |key, value|
          value = value ? 1 : 0 if [true, false].include?(value)
          code = Kfk::FFI.kfk_conf_set(conf, key.to_s, value.to_s, err, 512)
          raise Error.new(code, Kfk::FFI.text_at(err)) unless code.zero?
        end
        out = ::FFI::MemoryPointer.new(:pointer)
        code = Kfk::FFI.kfk_client_new(@queue.handle, conf, out, err, 512)
        raise Error.new(code, Kfk::FFI.text_at(err)) unless code.zero?
        @handle = out.read_pointer
      ensure
        Kfk::FFI.kfk_conf_destroy(conf)
      end
      tag = @queue.register(persistent: true) { |type, result, error| client_event(type, result, error) }
      Kfk::FFI.kfk_client_set_event_handler(@handle, nil, tag)
      @queue.route_untagged(@handle, ->(_type, report, error) { undelivered(report, error) })
    end

    LOG_SEVERITY = { Kfk::FFI::LOG_ERROR => Logger::ERROR, Kfk::FFI::LOG_WARN => Logger::WARN,
                     Kfk::FFI::LOG_INFO => Logger::INFO, Kfk::FFI::LOG_DEBUG => Logger::DEBUG }.freeze
    private_constant :LOG_SEVERITY

    # The client's own events: errors, log lines, statistics.
    def client_event(type, result, error)
      case type
      when Kfk::FFI::EVENT_ERROR then @on_error&.call(error)
      when Kfk::FFI::EVENT_LOG
        @logger&.add(LOG_SEVERITY.fetch(result["level"], Logger::INFO), "#{result["context"]}: #{result["message"]}", "kfk")
      when Kfk::FFI::EVENT_STATS then @on_stats&.call(JSON.parse(result))
      when Kfk::FFI::EVENT_OAUTHBEARER_TOKEN_REFRESH then refresh_oauth_token if @oauth_token
      end
    end
    private :client_event

    # Asks oauth_token for an OAUTHBEARER token: it returns [token,
    # expiry (a Time, or seconds since the epoch)] or [token, expiry,
    # principal, extensions], or raises why there is none, which fails the
    # connections waiting for it.
    def refresh_oauth_token
      token, expiry, principal, extensions = @oauth_token.call
      raise ArgumentError, "oauth_token must return [token, expiry]" unless token && expiry

      pairs = (extensions || {}).flat_map { |k, v| [k.to_s, v.to_s] }
      _keep, arr = string_array(pairs)
      err = ::FFI::MemoryPointer.new(:char, 512)
      code = Kfk::FFI.kfk_oauthbearer_set_token(handle, token.to_s, (expiry.to_f * 1000).to_i, principal&.to_s,
                                                 arr, pairs.size / 2, err, 512)
      raise Error.new(code, Kfk::FFI.text_at(err)) unless code.zero?
    rescue StandardError => e
      Kfk::FFI.kfk_oauthbearer_set_token_failure(handle, "oauth_token: #{e.message}")
    end
    private :refresh_oauth_token

    # A record produced without a block failed.
    def undelivered(report, error)
      return @on_delivery_error.call(report, error) if @on_delivery_error

      @undelivered << [report, error]
    end
    private :undelivered

    # Raises the failures of records produced without a block that no
    # on_delivery_error: took, once.
    def raise_undelivered
      return if @undelivered.empty?

      failures = @undelivered
      @undelivered = []
      raise DeliveryError.new(failures)
    end
    private :raise_undelivered

    # Dispatches the client's waiting events (delivery blocks, log lines,
    # statistics), waiting up to timeout seconds for the first.
    def poll(timeout = 0)
      @queue.poll(timeout)
    end

    # Fetches cluster metadata (raises when no broker answers).
    def connect
      request { |tag| Kfk::FFI.kfk_client_connect(handle, nil, tag) }.value
    end

    # Queues a record; the Request's value is the delivery report
    # (a Message with topic, partition, offset, timestamp, timestamp_type).
    # With a block, the block gets (report, error) when polled. timestamp
    # is in milliseconds since the epoch; nil or negative means now.
    # On a client opened with delivery_reports: "failed", produce without
    # a block returns nil (see #initialize).
    def produce(topic, value, key: nil, partition: -1, headers: nil, timestamp: nil, &block)
      # No fork check here (getpid is a system call): in a child the
      # library refuses the call itself, with ERR_FORKED.
      h = @handle or handle
      partition = partition_for(topic, key) if partition == -1 && @partitioner
      scratch = (Thread.current[:kfk_produce_scratch] ||= ProduceScratch.new)
      if block || !@fire_and_forget
        req = Request.new(@queue, block)
        tag = @queue.register(req)
      end
      keep = headers && !headers.empty? ? [] : nil
      hdrs, count = keep ? headers(keep, headers) : nil
      code = Kfk::FFI.kfk_produce(h, scratch.fill(topic, key, value, partition, timestamp_ms(timestamp), hdrs, count,
                                                  tag || 0), nil)
      unless code.zero?
        @queue.forget(tag) if tag
        handle if code == Kfk::FFI::ERR_FORKED # raises ForkedError
        raise Error, code
      end
      req
    end

    # The C memory one fiber's produce calls reuse (Thread.current is
    # fiber-local): the library copies a message during the call, so its
    # kfk_message_t, key and value bytes need not outlive it. Topic names
    # are kept as C strings, since a producer repeats a few. Fields are
    # written at their offsets, keys and values as their bytes whatever
    # their encoding.
    class ProduceScratch
      M = Kfk::FFI::Message
      TOPIC = M.offset_of(:topic)
      PARTITION = M.offset_of(:partition)
      TIMESTAMP = M.offset_of(:timestamp)
      KEY = M.offset_of(:key)
      KEY_LEN = M.offset_of(:key_len)
      VALUE = M.offset_of(:value)
      VALUE_LEN = M.offset_of(:value_len)
      HEADERS = M.offset_of(:headers)
      HEADER_COUNT = M.offset_of(:header_count)
      OPAQUE = M.offset_of(:opaque)

      def initialize
        @msg = ::FFI::MemoryPointer.new(M)
        @msg.put_int64(M.offset_of(:offset), -1)
        grow(4096)
        @topics = {}
        @accepted = ::FFI::MemoryPointer.new(:size_t)
      end

      # A size_t for the library's count of accepted records.
      attr_reader :accepted

      def fill(topic, key, value, partition, timestamp, headers, header_count, opaque)
        m = @msg
        m.put_pointer(TOPIC, topic_ptr(topic))
        m.put_int32(PARTITION, partition)
        m.put_int64(TIMESTAMP, timestamp)
        key = key.to_s unless key.nil? || key.is_a?(String)
        value = value.to_s unless value.nil? || value.is_a?(String)
        at = key ? key.bytesize : 0
        size = at + (value ? value.bytesize : 0)
        grow(2 * size) if size > @data.size
        if key
          @data.put_bytes(0, key)
          m.put_int64(KEY, @address)
        else
          m.put_int64(KEY, 0)
        end
        m.put_int64(KEY_LEN, at)
        if value
          @data.put_bytes(at, value)
          m.put_int64(VALUE, @address + at)
          m.put_int64(VALUE_LEN, value.bytesize)
        else
          m.put_int64(VALUE, 0)
          m.put_int64(VALUE_LEN, 0)
        end
        m.put_pointer(HEADERS, headers)
        m.put_int64(HEADER_COUNT, header_count || 0)
        m.put_int64(OPAQUE, opaque)
        m
      end

      # The topic name as a C string, kept.
      def topic_ptr(topic)
        @topics[topic] || begin
          @topics.clear if @topics.size >= 64
          @topics[topic.dup.freeze] = ::FFI::MemoryPointer.from_string(topic.to_s.b)
        end
      end

      private

      def grow(size)
        @data = ::FFI::MemoryPointer.new(:char, size)
        @address = @data.address
      end
    end

    # Queues many records ({topic:, value:, key:, partition:, headers:, timestamp:})
    # with one completion: the Request's value is nil once all were
    # delivered, else the failures [{"index", "error_code", "error"}]. A
    # block gets the same when polled. Records without headers or a
    # timestamp go as produce_values calls, one per topic and partition.
    def produce_many(records, &block)
      req = Request.new(@queue, block && ->(failures, _error) { block.call(failures) })
      groups = value_groups(records)
      return produce_messages(records, req) unless groups

      pending = groups.size
      failures = []
      queued = 0
      groups.each do |topic, partition, values, keys, indices|
        done = lambda do |failed, _error|
          failed&.each { |f| failures << f.merge("index" => indices[f["index"]]) }
          req.complete(failures.empty? ? nil : failures.sort_by { |f| f["index"] }, nil) if (pending -= 1).zero?
        end
        queued += send_values(topic, partition, values, keys.any? ? keys : nil, nil, done, queued, records.size)
      end
      req
    end

    # Queues values (Strings, nil for Kafka's null) for one topic with one
    # completion, crossing into the library once for all of them: the
    # Request's value is nil once all were delivered, else the failures
    # [{"index", "error_code", "error"}], index naming a value. A block
    # gets the same when polled. keys: one per value (nil: all null).
    # Every record gets partition (-1: the library's partitioner, or the
    # client's partitioner:, record by record), the same headers and the
    # time of the call as its timestamp.
    def produce_values(topic, values, keys: nil, partition: -1, headers: nil, &block)
      raise TypeError, "values must be an Array, not #{values.class}" unless values.is_a?(Array)
      raise ArgumentError, "keys: has #{keys.size} keys for #{values.size} values" if keys && keys.size != values.size
      raise ArgumentError, "partition must be an Integer from -1 up, not #{partition.inspect}" unless
        partition.is_a?(Integer) && partition >= -1

      if partition == -1 && @partitioner
        records = values.each_with_index.map { |v, i| { topic: topic, value: v, key: keys&.at(i), headers: headers } }
        return produce_many(records, &block)
      end
      req = Request.new(@queue, block && ->(failures, _error) { block.call(failures) })
      send_values(topic, partition, values, keys, headers, ->(failures, _error) { req.complete(failures, nil) })
      req
    end

    def partition_count(topic)
      Kfk::FFI.kfk_client_partition_count(handle, topic)
    end

    # Refreshes metadata (for topics too) and returns it.
    def metadata(topics = [])
      keep, arr = string_array(topics)
      request { |tag| Kfk::FFI.kfk_client_metadata(handle, arr, topics.size, nil, tag) }.tap { keep.clear }.value
    end

    # Waits until every record produced so far has its outcome; raises a
    # Kfk::DeliveryError for those produced without a block that failed
    # (when no on_delivery_error: took them).
    def flush(timeout: 30)
      request { |tag| Kfk::FFI.kfk_flush(handle, (timeout * 1000).to_i, nil, tag) }.value(timeout + 5)
      raise_undelivered
    end

    # assign([{topic:, partition:, offset:}]) — offset Kfk::FFI::OFFSET_EARLIEST
    # (-2), OFFSET_LATEST (-1) or an offset.
    def assign(partitions)
      keep = []
      arr = tp_array(keep, partitions)
      Kfk.check(Kfk::FFI.kfk_assign(handle, arr, partitions.size), "assign")
    end

    def pause_call(fn, what, partitions)
      keep = []
      arr = tp_array(keep, partitions.map { |p| { topic: p.fetch(:topic), partition: p.fetch(:partition) } })
      code = Kfk::FFI.public_send(fn, handle, arr, partitions.size)
      raise Kfk::Error.new(code, "#{what}: a partition is not assigned") if code == Kfk::FFI::ERR_STATE
      Kfk.check(code, what)
    end
    private :pause_call

    # Moves a partition's position (an offset, OFFSET_EARLIEST or
    # OFFSET_LATEST) and waits.
    def seek(topic, partition, offset)
      request { |tag| Kfk::FFI.kfk_seek(handle, topic, partition, offset, nil, tag) }.value
    end

    # pause([{topic:, partition:}]): stop fetching and handing over these
    # assigned partitions (what was fetched is kept, positions stay) until
    # resume; a new assignment of a partition ends its pause. Kfk::Error
    # (ERR_STATE) if one is not assigned (the others are still paused).
    def pause(partitions)
      pause_call(:kfk_pause, "pause", partitions)
    end

    def resume(partitions)
      pause_call(:kfk_resume, "resume", partitions)
    end

    # { partition => { "earliest" =>, "latest" => } }
    def offsets_for(topic)
      request { |tag| Kfk::FFI.kfk_offsets_for(handle, topic, nil, tag) }.value.transform_keys(&:to_i)
    end

    # { "topic:partition" => { "current" =>, "latest" =>, "lag" => } } for the assignment.
    def lag
      request { |tag| Kfk::FFI.kfk_lag(handle, nil, tag) }.value
    end

    # The messages fetched so far (waiting up to about the fetch wait).
    def consume
      take_messages(:kfk_consume)
    end

    # Yields messages as they arrive; an Enumerator without a block.
    def each_message
      return enum_for(:each_message) unless block_given?

      loop { consume.each { |m| yield m } }
    end

    # on_lost gets partitions lost without being given up (nothing was
    # committed); without it, on_revoke does. assignor: (or
    # partition_assignment_strategy:) "cooperative-sticky" rebalances
    # incrementally.
    def subscribe(topics, group_id:, on_assign: nil, on_revoke: nil, on_lost: nil, **options)
      @queue.forget(@group_tag) if @group_tag
      @group_tag = @queue.register(persistent: true) do |type, parts, _error|
        on_assign&.call(parts) if type == Kfk::FFI::EVENT_ASSIGN
        on_revoke&.call(parts) if type == Kfk::FFI::EVENT_REVOKE
        (on_lost || on_revoke)&.call(parts) if type == Kfk::FFI::EVENT_LOST
      end
      kv = ["group_id", group_id] + options.flat_map { |k, v| [k.to_s, [true, false].include?(v) ? (v ? "1" : "0") : v.to_s] }
      tkeep, tarr = string_array(topics)
      okeep, oarr = string_array(kv)
      code = Kfk::FFI.kfk_subscribe(handle, tarr, topics.size, oarr, kv.size / 2, nil, @group_tag)
      tkeep.clear
      okeep.clear
      raise Error.new(code, "subscribe: bad topics or options") unless code.zero?
    end

    def commit
      request { |tag| Kfk::FFI.kfk_commit(handle, nil, tag) }.value
    end

    def unsubscribe
      request { |tag| Kfk::FFI.kfk_unsubscribe(handle, nil, tag) }.value
    end

    # Share groups (KIP-932): the group's members read the same partitions,
    # the broker handing each record to one of them at a time; each record
    # handed over is then accepted, released (delivered again, to any
    # member) or rejected (never delivered again). Separate from subscribe
    # and assign.

    ACK_TYPES = { accept: Kfk::FFI::ACK_ACCEPT, release: Kfk::FFI::ACK_RELEASE, reject: Kfk::FFI::ACK_REJECT }.freeze
    SHARE_MODES = { acknowledgement_mode: %w[implicit explicit], acquire_mode: %w[batch_optimized record_limit] }.freeze
    private_constant :SHARE_MODES

    # Joins the share group. acknowledgement_mode: :implicit (what one
    # share_consume returned is accepted by the next share_consume,
    # share_commit or share_unsubscribe) or :explicit (share_acknowledge
    # each record); acquire_mode: :batch_optimized or :record_limit (at most
    # max_poll_records per fetch). A new share group starts at the latest
    # record unless its share.auto.offset.reset config says earliest.
    def share_subscribe(topics, group_id:, acknowledgement_mode: :implicit, acquire_mode: nil)
      topics = Array(topics)
      raise ArgumentError, "share_subscribe needs at least one topic" if topics.empty?
      raise ArgumentError, "share_subscribe needs a group_id" if group_id.to_s.empty?

      modes = { acknowledgement_mode: acknowledgement_mode, acquire_mode: acquire_mode }.compact
      kv = ["group_id", group_id.to_s]
      modes.each do |name, value|
        allowed = SHARE_MODES.fetch(name)
        raise ArgumentError, "#{name}: must be #{allowed.join(' or ')}, not #{value.inspect}" unless
          allowed.include?(value.to_s)

        kv.push("share_#{name}", value.to_s)
      end
      tkeep, tarr = string_array(topics)
      okeep, oarr = string_array(kv)
      code = Kfk::FFI.kfk_share_subscribe(handle, tarr, topics.size, oarr, kv.size / 2)
      tkeep.clear
      okeep.clear
      raise Error.new(code, "share_subscribe: bad topics or options") unless code.zero?

      @share = { explicit: acknowledgement_mode.to_s == "explicit" }
      nil
    end

    # The records handed over to this member (waiting up to about twice
    # fetch_max_wait_ms plus a second for some): Messages with their
    # delivery_count. In implicit mode it first accepts what the previous
    # call returned.
    def share_consume
      take_messages(:kfk_share_consume)
    end

    # Yields the share group's records as they arrive; an Enumerator
    # without a block.
    def each_share_message
      return enum_for(:each_share_message) unless block_given?

      loop { share_consume.each { |m| yield m } }
    end

    # Settles a record share_consume returned (explicit mode): type is
    # :accept, :release or :reject. record: a Message, or a Hash with
    # topic:, partition: and offset:. It goes to the partition's leader
    # with the member's next request there (a fetch, or an acknowledgement
    # of its own once none is in flight); share_commit reports the answer.
    def share_acknowledge(record, type = :accept)
      kind = ACK_TYPES[type] or
        raise ArgumentError, "unknown acknowledgement type #{type.inspect} (:accept, :release or :reject)"
      topic, partition, offset = if record.is_a?(Hash)
                                   record.values_at(:topic, :partition, :offset)
                                 elsif record.respond_to?(:offset)
                                   [record.topic, record.partition, record.offset]
                                 end
      raise ArgumentError, "share_acknowledge needs a record's topic, partition and offset" unless
        topic.is_a?(String) && partition.is_a?(Integer) && offset.is_a?(Integer)

      code = Kfk::FFI.kfk_share_acknowledge(handle, topic, partition, offset, kind)
      return if code.zero?

      raise Error.new(code, "share_acknowledge #{topic}[#{partition}]@#{offset}: #{ack_refusal(code)}")
    end

    # Sends the acknowledgements made so far (implicit mode: accepting what
    # the last share_consume returned) without waiting for the next fetch;
    # returns [{"topic", "partition", "error_code"}] once the broker has
    # answered for each partition (error_code 121, INVALID_RECORD_STATE,
    # for a record whose lock had run out). With a block, a Request whose
    # block gets (results, error).
    def share_commit(&block)
      admin(block) { |tag| Kfk::FFI.kfk_share_commit(handle, nil, tag) }
    end

    # Settles what the member holds (implicit mode: accepts what the last
    # share_consume returned; records not acknowledged are released to the
    # other members) and leaves the group. close does the same.
    def share_unsubscribe
      @share = nil
      request { |tag| Kfk::FFI.kfk_share_unsubscribe(handle, nil, tag) }.value
    end

    # Transactions (needs transactional_id:). Records produced between
    # begin_transaction and commit/abort belong to the transaction.
    def begin_transaction
      Kfk.check(Kfk::FFI.kfk_txn_begin(handle), "begin_transaction")
    end

    # offsets: [{topic:, partition:, offset:}], or nil for the positions
    # consumed so far of this client's partitions.
    def send_offsets_to_transaction(group_id, offsets = nil)
      keep = []
      list = offsets || []
      arr = tp_array(keep, list)
      request { |tag| Kfk::FFI.kfk_txn_send_offsets(handle, group_id, arr, list.size, nil, tag) }.value(120)
    end

    def commit_transaction
      request { |tag| Kfk::FFI.kfk_txn_commit(handle, nil, tag) }.value(120)
    end

    def abort_transaction
      request { |tag| Kfk::FFI.kfk_txn_abort(handle, nil, tag) }.value(120)
    end

    # Admin: each returns its result (with a block, a Request whose block
    # gets (result, error)). Calls about several resources report an
    # "error_code" per resource; alter_topic_configs and create_partitions
    # raise the broker's refusal.

    def create_topics(topics, timeout_ms: 30_000, &block)
      keep = []
      arr = new_topic_array(keep, topics)
      admin(block) { |tag| Kfk::FFI.kfk_admin_create_topics(handle, arr, topics.size, timeout_ms, nil, tag) }
    end

    def delete_topics(names, timeout_ms: 30_000, &block)
      keep, arr = string_array(names)
      admin(block) { |tag| Kfk::FFI.kfk_admin_delete_topics(handle, arr, names.size, timeout_ms, nil, tag) }
        .tap { keep.clear }
    end

    def describe_cluster(&block)
      admin(block) { |tag| Kfk::FFI.kfk_admin_describe_cluster(handle, nil, tag) }
    end

    def list_groups(&block)
      admin(block) { |tag| Kfk::FFI.kfk_admin_list_groups(handle, nil, tag) }
    end

    def describe_groups(group_ids, &block)
      keep, arr = string_array(group_ids)
      admin(block) { |tag| Kfk::FFI.kfk_admin_describe_groups(handle, arr, group_ids.size, nil, tag) }
        .tap { keep.clear }
    end

    def describe_topic_configs(topics, &block)
      keep, arr = string_array(topics)
      admin(block) { |tag| Kfk::FFI.kfk_admin_describe_topic_configs(handle, arr, topics.size, nil, tag) }
        .tap { keep.clear }
    end

    # configs: { "key" => "value" }; a nil value resets the key to its default.
    def alter_topic_configs(topic, configs, &block)
      keep, arr = string_array(configs.flat_map { |k, v| [k.to_s, v&.to_s] })
      admin(block) { |tag| Kfk::FFI.kfk_admin_alter_topic_configs(handle, topic, arr, configs.size, nil, tag) }
        .tap { keep.clear }
    end

    def create_partitions(topic, total, timeout_ms: 30_000, &block)
      admin(block) { |tag| Kfk::FFI.kfk_admin_create_partitions(handle, topic, total, timeout_ms, nil, tag) }
    end

    # before: [{topic:, partition:, offset:}] (OFFSET_LATEST: everything so far)
    def delete_records(before, timeout_ms: 30_000, &block)
      keep = []
      arr = tp_array(keep, before)
      admin(block) { |tag| Kfk::FFI.kfk_admin_delete_records(handle, arr, before.size, timeout_ms, nil, tag) }
    end

    def group_lag(group_id, &block)
      admin(block) { |tag| Kfk::FFI.kfk_admin_group_lag(handle, group_id, nil, tag) }
    end

    # Deletes groups with no members, of any kind.
    def delete_groups(group_ids, &block)
      keep, arr = string_array(group_ids)
      admin(block) { |tag| Kfk::FFI.kfk_admin_delete_groups(handle, arr, group_ids.size, nil, tag) }
        .tap { keep.clear }
    end

    # Share groups (KIP-932). states: only groups in one of them
    # ("empty", "stable", "dead"); none: every share group.
    def list_share_groups(states = [], &block)
      keep, arr = string_array(states)
      admin(block) { |tag| Kfk::FFI.kfk_admin_list_share_groups(handle, arr, states.size, nil, tag) }
        .tap { keep.clear }
    end

    def describe_share_groups(group_ids, &block)
      keep, arr = string_array(group_ids)
      admin(block) { |tag| Kfk::FFI.kfk_admin_describe_share_groups(handle, arr, group_ids.size, nil, tag) }
        .tap { keep.clear }
    end

    # { "topic:partition" => { "start_offset", "latest", "lag" } }
    def share_group_offsets(group_id, &block)
      admin(block) { |tag| Kfk::FFI.kfk_admin_share_group_offsets(handle, group_id, nil, tag) }
    end

    # offsets: [{topic:, partition:, offset:}] (OFFSET_EARLIEST / OFFSET_LATEST
    # looked up); the group must have no members.
    def alter_share_group_offsets(group_id, offsets, &block)
      keep = []
      arr = tp_array(keep, offsets)
      admin(block) { |tag| Kfk::FFI.kfk_admin_alter_share_group_offsets(handle, group_id, arr, offsets.size, nil, tag) }
    end

    def delete_share_group_offsets(group_id, topics, &block)
      keep, arr = string_array(topics)
      admin(block) do |tag|
        Kfk::FFI.kfk_admin_delete_share_group_offsets(handle, group_id, arr, topics.size, nil, tag)
      end.tap { keep.clear }
    end

    def close(timeout: 30)
      return unless @handle

      @share = nil
      unless Kfk::FFI.forked?
        begin
          request { |tag| Kfk::FFI.kfk_client_close(@handle, (timeout * 1000).to_i, nil, tag) }.value(timeout + 5)
        ensure
          Kfk::FFI.kfk_client_destroy(@handle)
          @queue.unroute_untagged(@handle)
          @handle = nil
        end
      end
      @handle = nil
      raise_undelivered
    end

    private

    # The MESSAGE events of one kfk_consume or kfk_share_consume call
    # (fn), collected until its RESULT.
    def take_messages(fn)
      messages = []
      req = Request.new(@queue, nil)
      tag = @queue.register(Queue::Collector.new(messages, lambda do |_type, result, error|
        @queue.forget(tag)
        req.complete(result, error)
      end), persistent: true)
      code = Kfk::FFI.public_send(fn, handle, nil, tag)
      unless code.zero?
        @queue.forget(tag)
        raise Error, code
      end
      req.value
      messages
    end

    # One kfk_produce_values call; handler gets its (failures, error).
    # Returns how many records were queued (all of them, or it raises,
    # saying how many of total were queued with those before).
    def send_values(topic, partition, values, keys, headers, handler, before = 0, total = values.size)
      h = handle
      scratch = (Thread.current[:kfk_produce_scratch] ||= ProduceScratch.new)
      value_bytes, value_lens = columns(values)
      key_bytes, key_lens = columns(keys) if keys
      keep = []
      hdrs, count = headers(keep, headers)
      tag = @queue.register(handler)
      accepted = scratch.accepted
      code = Kfk::FFI.kfk_produce_values(h, scratch.topic_ptr(topic), partition, value_bytes, value_lens, key_bytes,
                                         key_lens, values.size, hdrs, count, nil, tag, accepted)
      unless code.zero?
        @queue.forget(tag)
        raise Error.new(code, "produce_values to #{topic}: #{Kfk.error_string(code)} " \
                              "(#{before + accepted.read(:size_t)} of #{total} records were queued)")
      end
      values.size
    end

    # Values (or keys) as kfk_produce_values takes them: their bytes back
    # to back, whatever their encodings, and an int32 length each
    # (NULL_LENGTH for nil, which takes no bytes). Strings alone (the
    # common case) take C loops only: join, unless two encodings clash.
    def columns(list)
      if list.all?(String)
        bytes = begin
          list.join
        rescue Encoding::CompatibilityError
          list.pack("a*" * list.size)
        end
        return [bytes, list.map(&:bytesize).pack("l*")]
      end
      list = list.map { |v| v.nil? || v.is_a?(String) ? v : v.to_s }
      lens = list.map { |v| v ? v.bytesize : Kfk::FFI::NULL_LENGTH }
      list = list.compact
      [list.pack("a*" * list.size), lens.pack("l*")]
    end

    # records as kfk_produce_values calls: [[topic, partition, values,
    # keys, indices]...], one per topic and partition (the client's
    # partitioner: asked here), indices naming each value's record. nil
    # when some record needs kfk_produce_many (headers, a timestamp, an
    # option or a partition it does not take, not a Hash), and when a
    # topic has records both with and without a partition (the library
    # could then reorder two records of one partition).
    def value_groups(records)
      return nil if records.empty?

      groups = {}
      last = nil
      i = -1
      records.each do |r|
        i += 1
        return nil unless r.is_a?(Hash) && (topic = r[:topic])

        partition = r.fetch(:partition, -1)
        return nil unless partition.is_a?(Integer) && partition >= -1
        # Counting the keys a values call takes spares a look at each pair.
        plain = r.key?(:partition) ? 2 : 1
        plain += 1 if r.key?(:value)
        plain += 1 if r.key?(:key)
        return nil unless r.size == plain || only_empty_extras?(r)

        partition = partition_for(topic, r[:key]) if partition == -1 && @partitioner
        unless last && last[1] == partition && last[0] == topic
          last = ((groups[topic] ||= {})[partition] ||= [topic, partition, [], [], []])
        end
        last[2] << r[:value]
        last[3] << r[:key]
        last[4] << i
      end
      return nil if groups.each_value.any? { |parts| parts.size > 1 && parts.key?(-1) }

      groups.each_value.flat_map(&:values)
    end

    # Whether a record's keys beyond topic, value, key and partition say
    # nothing: no headers, no timestamp.
    def only_empty_extras?(record)
      record.each_pair.all? do |k, v|
        case k
        when :topic, :value, :key, :partition then true
        when :headers then v.nil? || (v.respond_to?(:empty?) && v.empty?)
        when :timestamp then v.nil? || (v.is_a?(Integer) && v.negative?)
        else false
        end
      end
    end

    # produce_many through kfk_produce_many: a kfk_message_t each.
    def produce_messages(records, req)
      keep = []
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::Message, [records.size, 1].max)
      records.each_with_index do |r, i|
        fill_message(Kfk::FFI::Message.new(arr + i * Kfk::FFI::Message.size), keep, **r)
      end
      tag = @queue.register { |failures, _error| req.complete(failures, nil) }
      accepted = ::FFI::MemoryPointer.new(:size_t)
      code = Kfk::FFI.kfk_produce_many(handle, arr, records.size, nil, tag, accepted)
      unless code.zero?
        @queue.forget(tag)
        raise Error.new(code, "#{accepted.read(:size_t)} of #{records.size} records were queued")
      end
      req
    end

    def admin(block, &call)
      req = request(block, &call)
      block ? req : req.value(60)
    end

    # Fills a kfk_message_t, asking the custom partitioner when there is
    # one and no partition was given.
    def fill_message(msg, keep, topic:, value: nil, key: nil, partition: -1, headers: nil, timestamp: nil)
      partition = partition_for(topic, key) if partition == -1 && @partitioner
      msg[:topic] = keep_ptr(keep, topic)
      msg[:partition] = partition
      msg[:timestamp] = timestamp_ms(timestamp)
      msg[:key], msg[:key_len] = bytes(keep, key)
      msg[:value], msg[:value_len] = bytes(keep, value)
      msg[:headers], msg[:header_count] = headers(keep, headers)
    end

    def partition_for(topic, key)
      n = partition_count(topic)
      if n.negative?
        metadata([topic])
        n = partition_count(topic)
      end
      raise Error.new(Kfk::FFI::UNKNOWN_TOPIC_OR_PARTITION, "no partition count for topic #{topic}") if n.negative?

      @partitioner.call(topic, key&.b, n)
    end

    # Why the library refused an acknowledgement, as far as the client
    # knows its share subscription.
    def ack_refusal(code)
      return Kfk.error_string(code) unless code == Kfk::FFI::ERR_STATE
      return "not subscribed to a share group" unless @share
      return "the share subscription acknowledges implicitly (acknowledgement_mode: :explicit to acknowledge " \
             "records one by one)" unless @share[:explicit]

      "the record was not handed over, or is acknowledged already"
    end

    def handle
      raise ForkedError.new(Kfk::FFI::ERR_FORKED, "this client belongs to the parent process") if Kfk::FFI.forked?
      raise Error.new(Kfk::FFI::ERR_CLOSED, "the client is closed") unless @handle

      @handle
    end

  end
end
