# frozen_string_literal: true

module Kfk
  # A cluster client: producer and consumer.
  #
  #   Kfk::Client.open(brokers: "127.0.0.1:9092", linger_ms: 5) do |kafka|
  #     kafka.produce("topic", "value", key: "k").value   # => delivery report
  #     kafka.assign([{ topic: "topic", partition: 0, offset: -2 }])
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
    def initialize(options = {}, queue: nil, on_error: nil, **kwargs)
      @queue = queue || Queue.new
      @on_error = on_error
      conf_out = ::FFI::MemoryPointer.new(:pointer)
      Kfk.check(Kfk::FFI.kfk_conf_new(conf_out), "kfk_conf_new")
      conf = conf_out.read_pointer
      err = ::FFI::MemoryPointer.new(:char, 512)
      begin
        options.merge(kwargs).each do |key, value|
          value = value ? 1 : 0 if [true, false].include?(value)
          code = Kfk::FFI.kfk_conf_set(conf, key.to_s, value.to_s, err, 512)
          raise Error.new(code, err.read_string) unless code.zero?
        end
        out = ::FFI::MemoryPointer.new(:pointer)
        code = Kfk::FFI.kfk_client_new(@queue.handle, conf, out, err, 512)
        raise Error.new(code, err.read_string) unless code.zero?
        @handle = out.read_pointer
      ensure
        Kfk::FFI.kfk_conf_destroy(conf)
      end
      tag = @queue.register(persistent: true) { |type, _r, error| @on_error&.call(error) if type == Kfk::FFI::EVENT_ERROR }
      Kfk::FFI.kfk_client_set_event_handler(@handle, nil, tag)
    end

    # Fetches cluster metadata (raises when no broker answers).
    def connect
      request { |tag| Kfk::FFI.kfk_client_connect(handle, nil, tag) }.value
    end

    # Queues a record; the Request's value is the delivery report
    # (a Message with topic, partition, offset, timestamp). With a block,
    # the block gets (report, error) when polled.
    def produce(topic, value, key: nil, partition: -1, headers: nil, &block)
      keep = []
      msg = Kfk::FFI::Message.new
      msg[:topic] = keep_ptr(keep, topic)
      msg[:partition] = partition
      msg[:timestamp] = -1
      msg[:key], msg[:key_len] = bytes(keep, key)
      msg[:value], msg[:value_len] = bytes(keep, value)
      msg[:headers], msg[:header_count] = headers(keep, headers)
      req = Request.new(@queue, block)
      tag = @queue.register { |_type, result, error| req.complete(result, error) }
      msg[:opaque] = tag
      code = Kfk::FFI.kfk_produce(handle, msg, nil)
      unless code.zero?
        @queue.forget(tag)
        raise Error, code
      end
      req
    end

    def flush(timeout: 30)
      request { |tag| Kfk::FFI.kfk_flush(handle, (timeout * 1000).to_i, nil, tag) }.value(timeout + 5)
    end

    # assign([{topic:, partition:, offset:}]) — offset -2 earliest, -1 latest.
    def assign(partitions)
      keep = []
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::TopicPartition, [partitions.size, 1].max)
      partitions.each_with_index do |p, i|
        tp = Kfk::FFI::TopicPartition.new(arr + i * Kfk::FFI::TopicPartition.size)
        tp[:topic] = keep_ptr(keep, p.fetch(:topic))
        tp[:partition] = p.fetch(:partition, 0)
        tp[:leader_epoch] = -1
        tp[:offset] = p.fetch(:offset, -1)
      end
      Kfk.check(Kfk::FFI.kfk_assign(handle, arr, partitions.size), "assign")
    end

    # The messages fetched so far (waiting up to about the fetch wait).
    def consume
      messages = []
      req = Request.new(@queue, nil)
      tag = nil
      tag = @queue.register(persistent: true) do |type, result, error|
        if type == Kfk::FFI::EVENT_MESSAGE
          messages << result
        else
          @queue.forget(tag)
          req.complete(result, error)
        end
      end
      code = Kfk::FFI.kfk_consume(handle, nil, tag)
      raise Error, code unless code.zero?

      req.value
      messages
    end

    # Yields messages as they arrive; an Enumerator without a block.
    def each_message
      return enum_for(:each_message) unless block_given?

      loop { consume.each { |m| yield m } }
    end

    def subscribe(topics, group_id:, on_assign: nil, on_revoke: nil, **options)
      @queue.forget(@group_tag) if @group_tag
      @group_tag = @queue.register(persistent: true) do |type, parts, _error|
        on_assign&.call(parts) if type == Kfk::FFI::EVENT_ASSIGN
        on_revoke&.call(parts) if type == Kfk::FFI::EVENT_REVOKE
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
      arr = ::FFI::MemoryPointer.new(Kfk::FFI::TopicPartition, [list.size, 1].max)
      list.each_with_index do |o, i|
        tp = Kfk::FFI::TopicPartition.new(arr + i * Kfk::FFI::TopicPartition.size)
        tp[:topic] = keep_ptr(keep, o.fetch(:topic))
        tp[:partition] = o.fetch(:partition)
        tp[:leader_epoch] = -1
        tp[:offset] = o.fetch(:offset)
      end
      request { |tag| Kfk::FFI.kfk_txn_send_offsets(handle, group_id, arr, list.size, nil, tag) }.value(120)
    end

    def commit_transaction
      request { |tag| Kfk::FFI.kfk_txn_commit(handle, nil, tag) }.value(120)
    end

    def abort_transaction
      request { |tag| Kfk::FFI.kfk_txn_abort(handle, nil, tag) }.value(120)
    end

    def close(timeout: 30)
      return unless @handle

      unless Kfk::FFI.forked?
        begin
          request { |tag| Kfk::FFI.kfk_client_close(@handle, (timeout * 1000).to_i, nil, tag) }.value(timeout + 5)
        ensure
          Kfk::FFI.kfk_client_destroy(@handle)
        end
      end
      @handle = nil
    end

    private

    def handle
      raise ForkedError.new(Kfk::FFI::ERR_FORKED, "this client belongs to the parent process") if Kfk::FFI.forked?
      raise Error.new(-114, "the client is closed") unless @handle

      @handle
    end

  end
end
