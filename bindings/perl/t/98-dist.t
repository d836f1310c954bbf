use strict;
use warnings;
use Test::More;
use File::Temp ();
use FindBin;

# The tarball `make perl-dist` builds carries libkfk.so: built and
# installed from it (no KFK_LIBRARY, no build tree), Kfk::FFI loads its
# own copy.
my $root = "$FindBin::Bin/../../..";
is(system('make', '-s', '-C', $root, 'perl-dist') >> 8, 0, 'make perl-dist');
my ($tarball) = glob "$root/build/dist/EV-Kafka-*.tar.gz";
ok($tarball, 'the tarball is there') or BAIL_OUT('no tarball');
my $dir = File::Temp->newdir;
my $sh = sub { system('sh', '-c', "cd '$dir' && $_[0] >/dev/null 2>&1") >> 8 };
is($sh->("tar xzf '$tarball'"), 0, 'unpacked');
my ($src) = glob "$dir/EV-Kafka-*";
is($sh->("cd '$src' && perl Makefile.PL INSTALL_BASE='$dir/inst' && make && make install"), 0,
    'perl Makefile.PL && make && make install');
local $ENV{KFK_LIBRARY};
delete $ENV{KFK_LIBRARY};
my $out = `perl -I'$dir/inst/lib/perl5' -MKfk::FFI -e 'Kfk::FFI::load(); print Kfk::FFI::library_path(), "\\n", Kfk::FFI::kfk_version_str(), "\\n"' 2>&1`;
my ($path, $version) = split /\n/, $out;
like($path // '', qr{^\Q$dir\E/inst/lib/perl5/auto/kfk/libkfk\.so$}, 'the installed copy of libkfk.so is loaded')
    or diag $out;
is($version, '0.4.0', 'and answers');
done_testing;
