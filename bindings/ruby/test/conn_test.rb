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

  def test_utilities
    assert_equal(-973_932_308 & 0x7fffffff, Kfk.murmur2("21"))
    assert_equal 0xE3069283, Kfk.crc32c("123456789")
    assert_equal "UNKNOWN_TOPIC_OR_PARTITION", Kfk.error_name(3)
  end

  def test_metadata_produce_fetch
    assert @conn.connected?
    assert_equal 6, @conn.state
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
    again = @conn.create_topics([{ name: "__consumer_offsets", num_partitions: 1, replication_factor: 1 }]).value
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
