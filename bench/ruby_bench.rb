# frozen_string_literal: true

# The Ruby side of the benchmark: kfk's binding doing kfk_bench.c's work.
#
#   ruby -Ibindings/ruby/lib bench/ruby_bench.rb MODE brokers topic count size acks compression
#
# MODE is one of
#   produce         Client#produce per record, a delivery callback each
#   produce_forget  Client#produce per record without a block, on a client
#                   with delivery_reports: "failed", then flush
#   produce_values  Client#produce_values, BATCH values a call
#   produce_many    Client#produce_many, BATCH record hashes a call
#   consume         Client#consume from the earliest offset of partition 0
#   latency         produce round trips, one in flight
# BATCH is $KFK_BENCH_BATCH (default 1000). The batches are built once
# and sent again and again, so the figures are the binding's own cost.
#
# Prints kfk_bench's report line, with the same settings, plus
# cpu_us_per_msg (the whole process's CPU over the timed part, the
# library's threads included) and allocs_per_msg (Ruby objects allocated
# over the timed part, per record).
require "kfk"

def status_kb(field)
  line = File.foreach("/proc/self/status").find { |l| l.start_with?("#{field}:") }
  line ? line.split[1].to_i : -1
end

def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
def cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

MODES = %w[produce produce_forget produce_values produce_many consume latency].freeze
usage = "usage: ruby_bench.rb #{MODES.join('|')} brokers topic count size acks compression"
abort usage if ARGV.size < 7
mode, brokers, topic, count, size, acks, compression = ARGV
abort "unknown mode #{mode}" unless MODES.include?(mode)
count = count.to_i
size = size.to_i
batch = Integer(ENV.fetch("KFK_BENCH_BATCH", "1000"))
latency = mode == "latency"
client = Kfk::Client.open(brokers: brokers, acks: latency ? 1 : acks, linger_ms: latency ? 0 : 5,
                          compression: compression, batch_size: 1_000_000,
                          delivery_reports: mode == "produce_forget" ? "failed" : "all")
idle_kb = status_kb("VmRSS")
value = "x" * size

# Runs the block as the timed part and prints the report line.
def timed(count, size, idle_kb)
  GC.start
  allocs = GC.stat(:total_allocated_objects)
  gc_ms = GC.stat(:time)
  start = now
  cpu0 = cpu
  got, failed, bytes = yield
  secs = now - start
  cpu_us = (cpu - cpu0) * 1e6 / [got, 1].max
  allocs = (GC.stat(:total_allocated_objects) - allocs).fdiv([got, 1].max)
  bytes ||= got * size
  puts "msgs=#{got - failed} bytes=#{bytes} seconds=#{format('%.6f', secs)} failed=#{failed} " \
       "rss_idle_kb=#{idle_kb} rss_peak_kb=#{status_kb('VmHWM')} cpu_us_per_msg=#{format('%.3f', cpu_us)} " \
       "allocs_per_msg=#{format('%.2f', allocs)} gc_ms=#{GC.stat(:time) - gc_ms}"
end

case mode
when "produce"
  done = failed = 0
  on_report = lambda do |_report, error|
    done += 1
    failed += 1 if error
  end
  timed(count, size, idle_kb) do
    count.times do |i|
      client.produce(topic, value, partition: 0, &on_report)
      client.poll(0) if (i & 1023).zero?
    end
    client.poll(0.05) while done < count
    [count, failed]
  end
when "produce_forget"
  timed(count, size, idle_kb) do
    count.times { client.produce(topic, value, partition: 0) }
    begin
      client.flush
      [count, 0]
    rescue Kfk::DeliveryError => e
      [count, e.failures.size]
    end
  end
when "produce_values", "produce_many"
  values = Array.new(batch, value)
  records = Array.new(batch) { { topic: topic, value: value, partition: 0 } }
  done = failed = 0
  # the completion of a batch of n (each its own n: a lambda made in the
  # loop would see the loop's last one)
  completion = lambda do |n|
    lambda do |failures|
      done += n
      failed += failures&.size || 0
    end
  end
  timed(count, size, idle_kb) do
    sent = 0
    while sent < count
      n = [batch, count - sent].min
      on_done = completion.(n)
      if mode == "produce_values"
        client.produce_values(topic, n == batch ? values : values.first(n), partition: 0, &on_done)
      else
        client.produce_many(n == batch ? records : records.first(n), &on_done)
      end
      sent += n
      client.poll(0)
    end
    client.poll(0.05) while done < count
    [count, failed]
  end
when "consume"
  timed(count, size, idle_kb) do
    client.assign([{ topic: topic, partition: 0, offset: -2 }])
    got = bytes = 0
    while got < count
      client.consume.each do |m|
        got += 1
        bytes += m.value.bytesize
      end
    end
    [got, 0, bytes]
  end
when "latency"
  client.produce(topic, value, partition: 0).value # untimed warm-up
  us = Array.new(count) do
    t0 = now
    client.produce(topic, value, partition: 0).value
    (now - t0) * 1e6
  end.sort
  at = ->(q) { us[(q * (us.size - 1) + 0.5).to_i] }
  puts format("msgs=%d min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f",
              us.size, us[0], at.(0.5), at.(0.9), at.(0.99), us[-1])
end
client.close
