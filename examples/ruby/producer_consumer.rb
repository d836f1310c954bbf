# Produce 1,000 keyed records, then read them back as a member of a
# consumer group, with the group's lag at the end.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example ruby -Ibindings/ruby/lib producer_consumer.rb
require "kfk"

brokers = ENV.fetch("KAFKA_BROKER", "127.0.0.1:9092")
topic = ENV.fetch("KAFKA_TOPIC", "kfk-example")
group = "#{topic}-group"

Kfk::Client.open(brokers: brokers, linger_ms: 5, compression: "lz4") do |producer|
  producer.create_topics([{ name: topic, num_partitions: 3 }])
  failures = producer.produce_many(Array.new(1000) { |i| { topic: topic, key: "user-#{i % 10}", value: "event #{i}" } }).value
  puts "produced 1000 records to #{topic}#{failures ? ", #{failures.size} failed" : ''}"
end

Kfk::Client.open(brokers: brokers) do |consumer|
  consumer.subscribe([topic], group_id: group, auto_offset_reset: "earliest",
                              on_assign: ->(parts) { puts "assigned #{parts.map { |p| p['partition'] }.sort}" })
  seen = 0
  consumer.each_message do |_message|
    seen += 1
    break if seen == 1000
  end
  consumer.commit
  lag = consumer.group_lag(group).values.sum { |p| p["lag"] }
  puts "consumed #{seen} records; the group's lag is #{lag}"
  consumer.unsubscribe
end
