from unfold.admin import ModelAdmin


class RecordAdmin(ModelAdmin):
    """Admin for records that are evidence (audit entries, AI usage, webhook events):
    staff read them and run actions, but never add, edit or delete them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
