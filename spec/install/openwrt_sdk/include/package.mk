# package.mk, as openwrt_root_test.sh needs it: `make install-PACKAGE ROOT=DIR` runs
# Package/PACKAGE/install into DIR (as OpenWrt does into the package's ipkg directory),
# `make prepare` runs Build/Prepare (OpenWrt's default unpacks the downloaded source;
# here it only says so), `make print-VAR` prints a variable.
Build/Prepare=@echo "Build/Prepare/Default: unpack the $(PKG_SOURCE_PROTO) source $(PKG_SOURCE_VERSION)"

define BuildPackage
install-$(1):
	$$(call Package/$(1)/install,$$(ROOT))
endef

prepare:
	$(Build/Prepare)

print-%:
	@echo '$*=$($*)'
