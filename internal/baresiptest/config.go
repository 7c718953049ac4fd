package baresiptest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// modulePath is where Debian's baresip-core installs the modules.
const modulePath = "/usr/lib/baresip/modules"

// ports are the loopback ports of one baresip instance.
type ports struct {
	sip  int // UDP and TCP; baresip takes TCP sip+1 for TLS too
	ctrl int // TCP, ctrl_tcp
}

// writeConfig writes baresip's config and accounts files into dir.
//
// Audio needs no sound card: the source is ausine (a sine, which only
// runs at 48 kHz stereo, resampled to the codec's 8 kHz mono), the player
// an aubridge device that no source ever joins, so it never plays, and
// the sndfile filter dumps what is sent and received to WAV files in dir.
// Only g711 is loaded, so calls are PCMU or PCMA (and telephone-event).
// net_interface 127.0.0.1 makes baresip put 127.0.0.1 in its SDP and
// Contact (its name "lo" is refused: libre skips loopback interfaces);
// dns_server keeps any DNS query on loopback.
func writeConfig(dir string, p ports, o Options) error {
	conf := strings.Join([]string{
		"poll_method epoll",
		fmt.Sprintf("sip_listen 127.0.0.1:%d", p.sip),
		"call_local_timeout 120",
		"call_max_calls 4",
		fmt.Sprintf("audio_source ausine,%d", int(o.Tone)),
		"audio_player aubridge,baresiptest-player",
		"audio_alert aubridge,baresiptest-alert",
		"ausrc_srate 48000",
		"ausrc_channels 2",
		"audio_level no",
		"audio_buffer 20-160",
		fmt.Sprintf("rtp_ports %d-%d", o.RTPPorts[0], o.RTPPorts[1]),
		"rtcp_mux no",
		"jitter_buffer_delay 5-10",
		"net_interface 127.0.0.1",
		"dns_server 127.0.0.1:53",
		"module_path " + modulePath,
		"module g711.so",
		"module ausine.so",
		"module aubridge.so",
		"module sndfile.so",
		"module_tmp account.so",
		"module_app menu.so",
		"module_app ctrl_tcp.so",
		fmt.Sprintf("ctrl_tcp_listen 127.0.0.1:%d", p.ctrl),
		"snd_path " + dir,
		"statmode_default off",
		"ringback_disabled yes",
		"menu_bell no",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o600); err != nil {
		return fmt.Errorf("baresiptest: write config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account(p, o)+"\n"), 0o600); err != nil {
		return fmt.Errorf("baresiptest: write accounts: %w", err)
	}
	return nil
}

// account is the account line of o, as baresip 1.0 reads it:
// <sip:user@domain;transport=udp>;addr-params.
func account(p ports, o Options) string {
	domain := o.Registrar
	if domain == "" {
		domain = fmt.Sprintf("127.0.0.1:%d", p.sip)
	}
	answer := "manual"
	if o.AutoAnswer {
		answer = "auto"
	}
	params := []string{"answermode=" + answer, "audio_codecs=PCMU,PCMA"}
	if o.Password != "" {
		params = append(params, "auth_pass="+o.Password)
	}
	if o.Registrar != "" {
		params = append(params, "regint=300")
	} else {
		params = append(params, "regint=0")
	}
	return fmt.Sprintf("<sip:%s@%s;transport=udp>;%s", o.User, domain, strings.Join(params, ";"))
}
