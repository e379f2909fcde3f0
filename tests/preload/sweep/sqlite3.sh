# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
sqlite3 :memory: 'create table t(a integer, b text);' \
  'with recursive c(x) as (select 1 union all select x+1 from c where x<5000) insert into t select x, hex(x*x) from c;' \
  'select count(*), sum(a), max(b) from t;' 'select b, count(*) from t group by length(b) order by 1 limit 3;'
