# A live one-line summary from kfk's statistics: one client produces and
# consumes (as a group member) for a few seconds, and each statistics
# document becomes a line with the produce and consume rates, the lag and
# the broker round trip.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-metrics SECONDS=10 ruby -Ibindings/ruby/lib metrics.rb
require "kfk"

brokers = ENV.fetch("KAFKA_BROKER", "127.0.0.1:9092")
topic = ENV.fetch("KAFKA_TOPIC", "kfk-metrics")
seconds = Float(ENV.fetch("SECONDS", "5"))
previous = nil

summary = lambda do |stats|
  if previous
    dt = (stats["ts_ms"] - previous["ts_ms"]) / 1000.0
    produced = (stats["msgs_produced"] - previous["msgs_produced"]) / dt
    consumed = (stats["msgs_consumed"] - previous["msgs_consumed"]) / dt
    lag = stats["topics"].values.sum { |t| t["partitions"].values.sum { |p| [p["consumer_lag"], 0].max } }
    p99 = stats["brokers"].values.map { |b| b["rtt_us"]["p99"] }.max || 0
    printf("produced %9.0f msg/s  consumed %9.0f msg/s  lag %6d  queue %6d  rtt p99 %.1f ms\n",
           produced, consumed, lag, stats["queue_msgs"], p99 / 1000.0)
    $stdout.flush
  end
  previous = stats
end

count = 0
Kfk::Client.open(brokers: brokers, linger_ms: 5, statistics_interval_ms: 1000, on_stats: summary) do |client|
  client.subscribe([topic], group_id: "#{topic}-metrics", auto_offset_reset: "earliest")
  finish = Time.now + seconds
  while Time.now < finish
    1000.times do
      client.produce(topic, "reading #{count}")
      count += 1
    rescue Kfk::Error # queue full: let deliveries catch up
      break
    end
    client.consume # also runs the statistics callback
  end
end
puts "produced #{count} records in #{seconds.round} s"
