"""elecbay live: the market as a service on MQTT (``elecbay serve``, ``elecbay agent``).

* :mod:`.topics` and :mod:`.messages`: the topics, the access-control patterns and the
  versioned JSON messages (``docs/live_market.md``);
* :mod:`.broker`: a local mosquitto on 127.0.0.1 with per-seat passwords and an ACL;
* :mod:`.operator`: the market operator (gates, clearing with the environment's engine,
  meters, statements), configured by :mod:`.serve_config`; :mod:`.settle_reads`:
  settlement from the meter reads received (the meter rule); :mod:`.assets` and
  :mod:`.asset_window`: new assets registered before the market opens;
  :mod:`.ledger_db`: its ledger, SQLite or PostgreSQL;
* :mod:`.client`: a client library playing many seats in one process;
  :mod:`.meters`: smart-meter clients; :mod:`.service`: a whole market in one call.

Needs the ``live`` extra (paho-mqtt; psycopg for a PostgreSQL ledger) and Debian's
``mosquitto``.
"""
