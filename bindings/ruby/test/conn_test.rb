# frozen_string_literal: true

require "minitest/autorun"
require "securerandom"
require_relative "../lib/kfk"

class ConnTest < Minitest::Test
  def setup
    skip "KFK_TEST_BROKERS is not set (use make test)" unless ENV["KFK_TEST_BROKERS"]
    host, port = ENV["KFK_TEST_BROKERS"].split(",").first.split(":")
    @conn = Kfk::Conn.new(client_id: "kfk-minitest")
    @conn.connect(host, port.to_i).value
  end

  def teardown
    @conn&.close
  end

  def new_topic
    name = "rbtest-#{SecureRandom.hex(6)}"
    res = @conn.create_topics([{ name: name, num_partitions: 1, replication_factor: 1 }], 10_000).value
    assert_equal 0, res["topics"][0]["error_code"]
    100.times do
      break if @conn.fetch(name, 0, 0, max_wait_ms: 0).value["topics"][0]["partitions"][0]["error_code"].zero?

      sleep 0.1
    end
    name
  end

  # Calls until the answer's error code is not one of codes (30 s at most):
  # a fresh broker creates its offsets and transaction logs on the first
  # coordinator lookup and answers COORDINATOR_NOT_AVAILABLE meanwhile.
  def retry_codes(codes)
    res = nil
    300.times do
      res = yield
      break unless codes.include?(res["error_code"])

      sleep 0.1
    end
    res
  end

  def test_utilities
    assert_equal(-973_932_308 & 0x7fffffff, Kfk.murmur2("21"))
    assert_equal 0xE3069283, Kfk.crc32c("123456789")
    assert_equal "UNKNOWN_TOPIC_OR_PARTITION", Kfk.error_name(3)
  end

  def test_metadata_produce_fetch
    assert @conn.connected?
    assert_equal Kfk::FFI::CONN_READY, @conn.state
    topic = new_topic
    md = @conn.metadata([topic]).value
    assert_equal topic, md["topics"][0]["name"]
    res = @conn.produce_batch(topic, 0, [{ key: "k", value: "v\x00\xff".b, headers: { "h" => "x" } },
                                         { key: nil, value: "" }], acks: -1, compression: "zstd").value
    assert_equal 0, res["topics"][0]["partitions"][0]["error_code"]
    recs = @conn.fetch(topic, 0, 0).value["topics"][0]["partitions"][0]["records"]
    assert_equal ["k", nil], recs.map { |r| r["key"] }
    assert_equal ["v\x00\xff".b, ""], recs.map { |r| r["value"] }
    assert_equal Encoding::BINARY, recs[0]["value"].encoding
    assert_equal({ "h" => "x" }, recs[0]["headers"])
    assert_equal 2, @conn.list_offsets(topic, 0, -1).value["topics"][0]["partitions"][0]["offset"]
    assert_equal 0, @conn.delete_topics([topic]).value["topics"][0]["error_code"]
  end

  def test_group_calls
    topic = new_topic
    group = "rbconn-group-#{SecureRandom.hex(4)}"
    assert_equal 0, retry_codes([15]) { @conn.find_coordinator(group).value }["error_code"]
    first = retry_codes([14, 15, 16]) { @conn.join_group(group, "", [topic], session_timeout_ms: 10_000).value }
    joined = first["error_code"] == 79 ? @conn.join_group(group, first["member_id"], [topic], session_timeout_ms: 10_000).value : first
    assert_equal 0, joined["error_code"]
    member, generation = joined["member_id"], joined["generation_id"]
    assert_equal member, joined["leader"]
    synced = @conn.sync_group(group, generation, member, { member => [{ topic: topic, partition: 0 }] }).value
    assert_equal 0, synced["error_code"]
    assert_equal [{ "topic" => topic, "partitions" => [0] }], synced["assignment"]
    assert_equal 0, @conn.heartbeat(group, generation, member).value["error_code"]
    committed = @conn.offset_commit(group, generation, member, [{ topic: topic, partition: 0, offset: 7, metadata: "m" }]).value
    assert_equal 0, committed["topics"][0]["partitions"][0]["error_code"]
    fetched = @conn.offset_fetch(group, [topic]).value["topics"][0]["partitions"][0]
    assert_equal [7, "m"], [fetched["offset"], fetched["metadata"]]
    assert_equal 0, @conn.leave_group(group, member).value["error_code"]
  end

  def test_transaction_calls
    topic = new_topic
    txn = "rbconn-txn-#{SecureRandom.hex(4)}"
    group = "rbconn-txn-group-#{SecureRandom.hex(4)}"
    assert_equal 0, retry_codes([15]) { @conn.find_coordinator(txn, 1).value }["error_code"]
    pid = retry_codes([14, 15, 16, 51]) { @conn.init_producer_id(txn, 30_000).value }
    assert_equal 0, pid["error_code"]
    id, epoch = pid["producer_id"], pid["producer_epoch"]
    added = @conn.add_partitions_to_txn(txn, id, epoch, [{ topic: topic, partition: 0 }]).value
    assert_equal 0, added["topics"][0]["partitions"][0]["error_code"]
    assert_equal 0, retry_codes([15]) { @conn.find_coordinator(group).value }["error_code"]
    assert_equal 0, @conn.add_offsets_to_txn(txn, id, epoch, group).value["error_code"]
    offsets = retry_codes([14, 15, 16]) do
      res = @conn.txn_offset_commit(txn, group, id, epoch, [{ topic: topic, partition: 0, offset: 5 }]).value
      { "error_code" => res["topics"][0]["partitions"][0]["error_code"] }
    end
    assert_equal 0, offsets["error_code"]
    assert_equal 0, @conn.end_txn(txn, id, epoch, true).value["error_code"]
    committed = nil
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 60
    loop do # the commit markers land shortly after EndTxn
      committed = @conn.offset_fetch(group, [topic]).value.dig("topics", 0, "partitions", 0, "offset")
      break if committed == 5 || Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.1
    end
    assert_equal 5, committed
  end

  # The queue's wait is an IO wait, so under a Fiber scheduler a request
  # yields to other fibers instead of blocking the thread.
  def test_fiber_scheduler
    topic = new_topic
    host, port = ENV["KFK_TEST_BROKERS"].split(",").first.split(":")
    results = []
    ticks = 0
    Thread.new do
      Fiber.set_scheduler(TestScheduler.new)
      Fiber.schedule do
        conn = Kfk::Conn.new
        conn.connect(host, port.to_i).value
        3.times { |i| results << conn.produce(topic, 0, nil, "f#{i}", acks: -1).value }
        results << conn.fetch(topic, 0, 0, max_wait_ms: 200).value
        conn.close
      end
      Fiber.schedule { 20.times { ticks += 1; sleep 0.01 } }
    end.join(30)
    assert_equal 4, results.size
    assert_equal %w[f0 f1 f2], results.last["topics"][0]["partitions"][0]["records"].map { |r| r["value"] }
    assert_equal 20, ticks
    assert_operator TestScheduler.io_waits, :>, 0, "requests should have waited through the scheduler"
  end

  # A minimal Fiber scheduler: fibers waiting on IO or sleeping are resumed
  # from one IO.select loop when the thread finishes its block.
  class TestScheduler
    class << self
      attr_accessor :io_waits
    end
    self.io_waits = 0

    def initialize
      @readable = {}
      @writable = {}
      @sleeping = {}
      @ready = []
      @blocked = 0
    end

    def fiber(&block)
      f = Fiber.new(blocking: false, &block)
      f.resume
      f
    end

    def io_wait(io, events, timeout)
      self.class.io_waits += 1
      fiber = Fiber.current
      @readable[io] = fiber if (events & IO::READABLE).nonzero?
      @writable[io] = fiber if (events & IO::WRITABLE).nonzero?
      @sleeping[fiber] = now + timeout if timeout
      Fiber.yield
      @sleeping.delete(fiber)
      events
    end

    def kernel_sleep(duration = nil)
      @sleeping[Fiber.current] = now + (duration || 0)
      Fiber.yield
      true
    end

    def block(_blocker, timeout = nil)
      @blocked += 1
      @sleeping[Fiber.current] = now + timeout if timeout
      Fiber.yield
    ensure
      @blocked -= 1
    end

    def unblock(_blocker, fiber)
      @ready << fiber
    end

    def io_select(*) = nil

    def close
      run
    end

    def run
      until @readable.empty? && @writable.empty? && @sleeping.empty? && @ready.empty?
        wait = @sleeping.values.min
        timeout = wait ? [wait - now, 0].max : nil
        readable, writable = IO.select(@readable.keys, @writable.keys, [], @ready.empty? ? timeout : 0)
        resume = @ready.shift(@ready.size)
        readable&.each { |io| resume << @readable.delete(io) }
        writable&.each { |io| resume << @writable.delete(io) }
        @sleeping.each { |f, at| resume << f if at <= now }
        resume.uniq.each do |f|
          @sleeping.delete(f)
          @readable.delete_if { |_, v| v == f }
          @writable.delete_if { |_, v| v == f }
          f.resume if f.alive?
        end
      end
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Events are drained by a Ruby thread waiting on the queue's IO while
  # another thread keeps running.
  def test_callbacks_drained_by_a_thread
    topic = new_topic
    done = Queue.new
    50.times { |i| @conn.produce(topic, 0, nil, "m#{i}") { |res, err| done << [res, err] } }
    ticks = 0
    ticker = Thread.new { loop { ticks += 1; sleep 0.001 } }
    drainer = Thread.new { @conn.queue.poll(0.05) until done.size == 50 }
    assert drainer.join(30), "events were not drained"
    ticker.kill
    results = Array.new(50) { done.pop }
    assert(results.all? { |res, err| err.nil? && res["topics"][0]["partitions"][0]["error_code"].zero? })
    assert_operator ticks, :>, 0
  end

  def test_errors
    assert_raises(TypeError) { @conn.connect("127.0.0.1", "9092") }
    assert_raises(ArgumentError) { @conn.produce_batch("t", 0, []) }
    err = assert_raises(Kfk::Error) { @conn.find_coordinator("g", 9) }
    assert_equal "KFK_ERR_INVALID_ARG", err.name
    topic = new_topic
    again = @conn.create_topics([{ name: topic, num_partitions: 1, replication_factor: 1 }]).value
    assert_equal 36, again["topics"][0]["error_code"]
    @conn.disconnect
    err = assert_raises(Kfk::Error) { @conn.metadata.value }
    assert_equal "KFK_ERR_NOT_CONNECTED", err.name
  end

  def test_fork_child_gets_clear_error
    pid = fork do
      @conn.metadata
      exit!(1)
    rescue Kfk::ForkedError
      exit!(0)
    end
    Process.wait(pid)
    assert_equal 0, $?.exitstatus
    refute_empty @conn.metadata.value["brokers"]
  end
end
