noinst_HEADERS += include/card.h
