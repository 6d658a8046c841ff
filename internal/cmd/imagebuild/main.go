// Command imagebuild writes the verifeye-mock image as a `docker save` archive, from the release
// binaries in a directory, without a container registry; `make image-local` runs it and loads
// the archive with `docker load`:
//
//	imagebuild --bin bin --tag verifeye-mock:local --version 1.2.3 --revision $(git rev-parse HEAD) \
//	  --created 2006-01-02T15:04:05Z --out bin/verifeye-mock-local.tar
//
// See package internal/imagebuild for what the image holds.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/verifeye-twin/verifeye/internal/imagebuild"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin", "the `DIR` with verifeye-mock, verifeye-contract and healthcheck")
	certs := fs.String("ca-certs", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle (`FILE`) to put into the image; Debian's ca-certificates package installs this one")
	tag := fs.String("tag", "verifeye-mock:local", "the image's `NAME:TAG`")
	out := fs.String("out", "", "the archive `FILE` to write (required)")
	var l imagebuild.Labels
	fs.StringVar(&l.Version, "version", "dev", "the version label (the binaries' --version comes from their own build)")
	fs.StringVar(&l.Revision, "revision", "unknown", "the revision label: the commit built")
	fs.StringVar(&l.Created, "created", "unknown", "the created label and the image's creation time, RFC 3339; with unknown the image's time is the Unix epoch")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("--out: required")
	}
	o := imagebuild.Options{
		Binaries: map[string]string{
			imagebuild.MockBinary:     filepath.Join(*bin, "verifeye-mock"),
			imagebuild.ContractBinary: filepath.Join(*bin, "verifeye-contract"),
			imagebuild.HealthBinary:   filepath.Join(*bin, "healthcheck"),
		},
		CACerts: *certs,
		Labels:  l,
		// this command runs on the machine the binaries were built for (go run, no GOOS/GOARCH)
		OS: runtime.GOOS, Arch: runtime.GOARCH,
	}
	img, err := imagebuild.Image(o)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := imagebuild.WriteTarball(f, img, *tag); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	return f.Close()
}
