# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "rbconfig"
require "tmpdir"

# The platform gem `make ruby-gem` builds carries libkfk.so: installed alone
# (no KFK_LIBRARY, no build tree) it loads its own copy.
class PackagingTest < Minitest::Test
  ROOT = File.expand_path("../../..", __dir__)

  def test_platform_gem_carries_the_library
    _out, err, status = Open3.capture3("make", "-s", "-C", ROOT, "ruby-gem")
    assert status.success?, err
    gems = Dir[File.join(ROOT, "build", "dist", "kfk-*.gem")]
    assert_equal 1, gems.size
    assert_match(/-x86_64-linux\.gem\z/, gems.first)
    Dir.mktmpdir do |home|
      env = { "GEM_HOME" => home, "KFK_LIBRARY" => nil, "RUBYLIB" => nil }
      _out, err, status = Open3.capture3(env, "gem", "install", "--local", "--no-document", gems.first)
      assert status.success?, err
      script = 'require "kfk"; Kfk::FFI.load!; puts Kfk::FFI.library_path, Kfk::FFI.kfk_version_str'
      env["GEM_PATH"] = [home, *Gem.path].join(File::PATH_SEPARATOR)
      out, err, status = Open3.capture3(env, RbConfig.ruby, "-e", script, chdir: home)
      assert status.success?, err
      path, version = out.split("\n")
      assert path.start_with?(home), path
      assert_equal "0.4.0", version
    end
  end
end
