dist_man_MANS += man/kim-milter.8 man/kim-milter.conf.5 man/kimctl.8
