package audit

import (
	"fmt"
	"strings"
	"testing"
)

// opString renders an op compactly: tool spec paths flags.
func opString(op permOp) string {
	var paths []string
	for _, p := range op.Paths {
		s := p.Path
		if p.Children {
			s += "/*"
		}
		paths = append(paths, s)
	}
	flags := ""
	for _, f := range []struct {
		on bool
		c  string
	}{{op.Recursive, "R"}, {op.ViaFind, "F"}, {op.Filtered, "f"}, {op.SkipsRoot, "s"},
		{op.DirsOnly, "d"}, {op.Guarded, "g"}, {op.Busybox, "b"}} {
		if f.on {
			flags += f.c
		}
	}
	return fmt.Sprintf("%s %s %s %s", op.Tool, op.Spec, strings.Join(paths, ","), flags)
}

func TestCommandOps(t *testing.T) {
	sh := func(script string) []string { return []string{"/bin/sh", "-c", script} }
	cases := []struct {
		name string
		argv []string
		env  map[string]string
		wd   string
		want []string
	}{
		// case10.manifests.yaml, init container volume-permissions.
		{"case10", []string{"/bin/sh", "-ec", "mkdir -p /data && chown -R 1001:1001 /data && " +
			"find /data -type d -exec chmod 0775 {} +"}, nil, "",
			[]string{"chown 1001:1001 /data R", "chmod 0775 /data RFd"}},
		// harbor.yaml:1288-1289 (command and args split).
		{"harbor", []string{"/bin/sh", "-c", "chmod -R 700 /var/lib/postgresql/data/pgdata || true"},
			nil, "", []string{"chmod 700 /var/lib/postgresql/data/pgdata R"}},
		// grafana.persistence-enabled.yaml: exec form, no shell.
		{"exec form", []string{"chown", "-R", "472:472", "/var/lib/grafana"}, nil, "",
			[]string{"chown 472:472 /var/lib/grafana R"}},
		// nexus-nxrm-ha.yaml: quoted owner.
		{"quoted", sh("mkdir -p /nexus-data/log && chown -R '200:200' /nexus-data"), nil, "",
			[]string{"chown 200:200 /nexus-data R"}},
		// charts.md, bitnami volumePermissions: find -mindepth 1 -maxdepth 1 | xargs chown -R.
		{"find | xargs", sh(`find /bitnami/postgresql -mindepth 1 -maxdepth 1 -not -name "conf" ` +
			`-not -name ".snapshot" | xargs -r chown -R 1001:1001`), nil, "",
			[]string{"chown 1001:1001 /bitnami/postgresql RFs"}},
		// case11.pod.json: two paths.
		{"two paths", sh("mkdir -p /media/library /media/.incoming && chown -R 1000:1000 " +
			"/media/library /media/.incoming"), nil, "",
			[]string{"chown 1000:1000 /media/library,/media/.incoming R"}},
		{"env expansion", sh(`chown -R "$UID_GID" "${DATA_DIR}/"`),
			map[string]string{"UID_GID": "1:2", "DATA_DIR": "/srv"}, "",
			[]string{"chown 1:2 /srv R"}},
		{"unknown variable dropped", sh("chown -R 1:1 $HOME_DIR"), nil, "", nil},
		{"relative with workingDir", []string{"chmod", "-R", "g+w", "data"}, nil, "/srv",
			[]string{"chmod g+w /srv/data R"}},
		{"relative without workingDir", []string{"chmod", "-R", "g+w", "data"}, nil, "", nil},
		{"glob", sh("chown -R 1:1 /data/*"), nil, "", []string{"chown 1:1 /data/* R"}},
		{"not recursive", sh("chown 1:1 /data"), nil, "", []string{"chown 1:1 /data "}},
		{"flag clusters", sh("chown -hR 1:1 /a; chgrp -fR 5 /b; chmod -Rv 2775 /c"), nil, "",
			[]string{"chown 1:1 /a R", "chgrp 5 /b R", "chmod 2775 /c R"}},
		{"chmod -w is a mode", sh("chmod -w /x"), nil, "", []string{"chmod -w /x "}},
		{"long options", sh("chown --recursive --from=0:0 1:1 /x"), nil, "",
			[]string{"chown 1:1 /x R"}},
		{"guarded by test", sh(`[ "$(stat -c %u /d)" = 1 ] || chown -R 1:1 /d`), nil, "",
			[]string{"chown 1:1 /d Rg"}},
		{"guarded by if", sh("if [ \"$(stat -c %u:%g /d)\" != 1:1 ]; then\n chown -R 1:1 /d\nfi\n" +
			"chmod -R 700 /e"), nil, "", []string{"chown 1:1 /d Rg", "chmod 700 /e R"}},
		{"if without ownership test is not a guard", sh("if [ -d /d ]; then chown -R 1:1 /d; fi"),
			nil, "", []string{"chown 1:1 /d R"}},
		{"find filtered", sh(`find /d \! -user 1000 -exec chown 1000:1000 {} \;`), nil, "",
			[]string{"chown 1000:1000 /d RFf"}},
		{"find maxdepth 0", sh("find /d -maxdepth 0 -exec chown 1:1 {} +"), nil, "",
			[]string{"chown 1:1 /d F"}},
		{"find -type f skips root", sh("find /d -type f -exec chmod 0644 {} +"), nil, "",
			[]string{"chmod 0644 /d RFs"}},
		{"prefixes", sh("exec sudo -u root nice -n 5 busybox chown -R 1:1 /d"), nil, "",
			[]string{"chown 1:1 /d Rb"}},
		{"gosu and env", []string{"gosu", "root", "env", "A=b", "chmod", "-R", "775", "/d"}, nil,
			"", []string{"chmod 775 /d R"}},
		{"nested shell", sh(`bash -o pipefail -c "chown -R 1:1 /d"`), nil, "",
			[]string{"chown 1:1 /d R"}},
		{"comments and redirections", sh("# chown -R 9:9 /x\nchown -R 1:1 /d 2>/dev/null >&2"),
			nil, "", []string{"chown 1:1 /d R"}},
		{"script file, not -c", []string{"sh", "/scripts/init.sh"}, nil, "", nil},
		{"echo is not chown", sh(`echo "chown -R 1:1 /d"`), nil, "", nil},
		{"line continuation", sh("chown -R \\\n 1:1 /d"), nil, "", []string{"chown 1:1 /d R"}},
	}
	for _, c := range cases {
		var got []string
		for _, op := range commandOps(c.argv, c.env, c.wd) {
			got = append(got, opString(op))
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s: ops\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	toks := tokenize(`a 'b c' "d $(e "f") g" h\ i j&&k|l;m 2>&1 n>/dev/null` + "\n" + "o")
	var got []string
	for _, tk := range toks {
		if tk.op {
			got = append(got, "<"+tk.text+">")
		} else {
			got = append(got, tk.text)
		}
	}
	want := `a|b c|d $(e "f") g|h i|j|<&&>|k|<|>|l|<;>|m|n|<` + "\n" + `>|o`
	if strings.Join(got, "|") != want {
		t.Errorf("tokens\n got %q\nwant %q", strings.Join(got, "|"), want)
	}
}

func FuzzCommandOps(f *testing.F) {
	f.Add("chown -R 1:1 /data && find /data -type d -exec chmod 0775 {} +")
	f.Add(`if [ "$(stat -c %u /d)" != 1 ]; then chown -R 1:1 /d; fi`)
	f.Add(`find /x -mindepth 1 | xargs -r chown -R 1:1 'a b' "c$(d)" \; >/dev/null 2>&1`)
	f.Add("sh -c 'sh -c \"chmod -R 700 /p\"'")
	f.Fuzz(func(t *testing.T, script string) {
		ops := commandOps([]string{"sh", "-c", script}, map[string]string{"A": "/a"}, "/w")
		for _, op := range ops {
			if op.Tool != "chown" && op.Tool != "chgrp" && op.Tool != "chmod" {
				t.Fatalf("unexpected tool %q", op.Tool)
			}
			for _, p := range op.Paths {
				if !strings.HasPrefix(p.Path, "/") {
					t.Fatalf("relative path %q from %q", p.Path, script)
				}
			}
		}
	})
}
