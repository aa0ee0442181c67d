package idcard

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenDevice opens a reader on a serial device, a USB-serial adapter
// (/dev/ttyUSB0, /dev/ttyACM0) or a pseudo-terminal, set to 115200 baud,
// 8 data bits, no parity, 1 stop bit, raw. Failures are no_reader *Errors.
func OpenDevice(path string, opts Options) (*Device, error) {
	f, err := openRaw(path)
	if err != nil {
		return nil, newError(CodeNoReader, msgNoReader, err, "open reader")
	}
	return NewDevice(f, opts), nil
}

// DeviceOpener opens the reader at path, for Watch.
func DeviceOpener(path string, opts Options) Opener {
	return func(context.Context) (Reader, error) {
		d, err := OpenDevice(path, opts)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
}

// openRaw opens a terminal device non-blocking (so reads take deadlines),
// makes it raw at 115200 8N1 and drops whatever input was pending.
func openRaw(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := makeRaw(fd); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIFLUSH); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: flush input: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// makeRaw sets a terminal to raw 115200 8N1: no echo, no line editing, no
// signals, no CR/LF translation, no XON/XOFF (the protocol's bytes include
// 0x11 and 0x13), no hardware flow control.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		if errors.Is(err, unix.ENOTTY) {
			return fmt.Errorf("not a serial device or terminal: %w", err)
		}
		return fmt.Errorf("get terminal attributes: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL |
		unix.IXON | unix.IXOFF | unix.IXANY | unix.INPCK
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CRTSCTS | unix.CBAUD
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | unix.B115200
	t.Ispeed, t.Ospeed = unix.B115200, unix.B115200
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set raw 115200 8N1: %w", err)
	}
	return nil
}

// openPTY opens a pseudo-terminal pair: the master (the simulated reader's
// end) and the slave's path (the host's device). The slave is opened once
// and made raw, and that file is returned to be held open, so the master
// never reads EIO while no host has the device open.
func openPTY() (master, slave *os.File, path string, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, "", fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(mfd)
		return nil, nil, "", fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, "", fmt.Errorf("pty number: %w", err)
	}
	path = fmt.Sprintf("/dev/pts/%d", n)
	s, err := openRaw(path)
	if err != nil {
		unix.Close(mfd)
		return nil, nil, "", err
	}
	return os.NewFile(uintptr(mfd), "/dev/ptmx"), s, path, nil
}
