"""Administration of portal and security objects: integration tokens, user
accounts (disable through the service, which closes their websockets),
temporary instructions, retention checkpoints."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import IntegrationToken, LogbookCheckpoint, Scope
from portal.services import token_create, token_revoke, user_disable
from sites.models import TemporaryInstruction

User = get_user_model()


class TokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       label=_("droits"))

    class Meta:
        model = IntegrationToken
        fields = ["name", "customer", "scopes", "rate_per_minute", "expires_at"]


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    form = TokenForm
    list_display = ["name", "customer", "prefix", "scopes", "rate_per_minute", "last_used_at", "expires_at",
                    "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # scopes and owner of an issued token do not change: issue a new one
            return [*self.readonly_fields, "name", "customer", "scopes", "rate_per_minute"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            IntegrationToken.objects.filter(pk=obj.pk).update(expires_at=obj.expires_at)
            return
        token, clear = token_create(name=obj.name, scopes=form.cleaned_data["scopes"], by=request.user,
                                    customer=obj.customer, rate_per_minute=obj.rate_per_minute,
                                    expires_at=obj.expires_at)
        obj.pk = token.pk
        messages.warning(request, _("Jeton à copier maintenant (il ne sera plus affiché) : %(t)s") % {"t": clear})

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Révoquer les jetons sélectionnés"))
    def revoke(self, request, queryset):
        for token in queryset:
            token_revoke(token_id=token.pk, by=request.user)


@admin.register(LogbookCheckpoint)
class LogbookCheckpointAdmin(admin.ModelAdmin):
    list_display = ["last_id", "count", "last_hash", "archive_path", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TemporaryInstruction)
class TemporaryInstructionAdmin(admin.ModelAdmin):
    list_display = ["site", "version", "text", "status", "starts_at", "ends_at", "proposed_by_name",
                    "decided_by_name", "decided_at"]
    list_filter = ["status"]
    search_fields = ["site__name", "site__code", "text"]

    def has_add_permission(self, request):
        return False  # through the portal or the handling view, so that it is logged

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ArcUserAdmin(UserAdmin):
    actions = ["disable_accounts"]

    @admin.action(description=_("Désactiver (ferme ses sessions et connexions en direct)"))
    def disable_accounts(self, request, queryset):
        for user in queryset.exclude(pk=request.user.pk):
            user_disable(user=user, by=request.user, reason=_("depuis l'administration"))
        messages.success(request, _("Comptes désactivés."))
