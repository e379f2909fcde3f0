# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
export GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' GIT_CONFIG_NOSYSTEM=1
git init -q -b main r && cd r && cp -r "$IN/tree" . && git add -A && git commit -qm first
echo more >> tree/a/f1.txt && git commit -qam second && git log --format='%H %s' && git show --stat HEAD | tail -2
git grep -n needle | sort; git gc -q && git count-objects -v | grep -v size
