# What an operator asks of a cluster: its brokers, a topic's configs, more
# partitions, and the consumer groups.
#
#   KAFKA_BROKER=127.0.0.1:9092 KAFKA_TOPIC=kfk-example ruby -Ibindings/ruby/lib admin.rb
require "kfk"

brokers = ENV.fetch("KAFKA_BROKER", "127.0.0.1:9092")
topic = ENV.fetch("KAFKA_TOPIC", "kfk-example")

Kfk::Client.open(brokers: brokers) do |admin|
  cluster = admin.describe_cluster
  puts "cluster #{cluster['cluster_id']}: #{cluster['brokers'].map { |b| "#{b['host']}:#{b['port']}" }.join(', ')}"
  created = admin.create_topics([{ name: topic, num_partitions: 1, config: { "retention.ms" => "3600000" } }])
  puts "create #{topic}: #{Kfk.error_name(created['topics'][0]['error_code'])}"
  admin.alter_topic_configs(topic, "cleanup.policy" => "compact")
  admin.create_partitions(topic, 4)
  configs = admin.describe_topic_configs([topic])["topics"][0]["configs"]
  %w[retention.ms cleanup.policy].each { |key| puts "#{key} = #{configs[key]['value']} (#{configs[key]['source']})" }
  admin.list_groups["groups"].first(5).each { |g| puts "group #{g['group_id']} #{g['state']}" }
  admin.delete_topics([topic])
end
